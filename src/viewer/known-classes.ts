/**
 * The user's choice of known classes, in the segmenter's panel: a grouping (the model's own
 * classes, or a preset such as ADE20K onto NYUv2-13 with the paper's split), and a checkbox per
 * class or group, filtered by typing. The catch-all class is shown but cannot be ticked. "Apply"
 * hands the choice on (the viewer segments the scan again with it). Text only: class names never
 * become markup.
 */
import { CLASS_GROUP_PRESETS, selectClasses, type ClassChoice } from '../segment/class-selection.ts';
import type { SegmenterManifest } from '../segment/segmenter-manifest.ts';
import { element } from './dom-element.ts';

export class KnownClassesPicker {
  readonly element = element('details', 'known-classes', undefined, 'known-classes');
  private readonly summary = element('summary', undefined, 'Known classes');
  private readonly preset = element('select', undefined, undefined, 'class-preset');
  private readonly filter = element('input', undefined, undefined, 'class-filter');
  private readonly list = element('ul', 'class-list', undefined, 'class-list');
  private readonly apply = element('button', undefined, 'Apply', 'classes-apply');
  private readonly problem = element('p', 'error', undefined, 'classes-error');
  private manifest: SegmenterManifest | null = null;
  /** The choice in force (applied), and the one being edited. */
  private applied: ClassChoice = {};
  private ticked = new Set<string>();

  constructor(private readonly onApply: (choice: ClassChoice) => void) {
    this.filter.type = 'search';
    this.filter.placeholder = 'filter';
    this.filter.addEventListener('input', () => this.showFilter());
    this.preset.addEventListener('change', () => this.fill(this.currentPreset(), null));
    this.apply.addEventListener('click', () => this.applyChoice());
    this.problem.hidden = true;
    this.problem.setAttribute('role', 'alert');
    this.element.append(this.summary, this.preset, this.filter, this.list, this.apply, this.problem);
  }

  /** The choice the viewer segments with. */
  get choice(): ClassChoice {
    return this.applied;
  }

  /** A model was loaded: its classes, with its own default choice. */
  setModel(manifest: SegmenterManifest): void {
    this.manifest = manifest;
    this.applied = {};
    this.preset.replaceChildren(element('option', undefined, 'the model’s own classes'));
    this.preset.options[0]!.value = '';
    for (const p of CLASS_GROUP_PRESETS) {
      // A preset is offered when it groups some of this model's classes.
      try {
        selectClasses(manifest, { preset: p.id });
      } catch {
        continue;
      }
      const option = element('option', undefined, p.title);
      option.value = p.id;
      this.preset.append(option);
    }
    this.fill(null, null);
  }

  private currentPreset(): string | null {
    return this.preset.value || null;
  }

  /** The checkboxes for `preset`'s units, ticked as `known` (null: the defaults). */
  private fill(preset: string | null, known: readonly string[] | null): void {
    const manifest = this.manifest;
    if (!manifest) return;
    const selection = selectClasses(manifest, preset ? { preset } : {});
    const units = [...selection.known.map((k) => k.name), ...selection.unknown];
    this.ticked = new Set(known ?? selection.known.map((k) => k.name));
    this.list.replaceChildren(
      ...units.map((name) => {
        const box = element('input');
        box.type = 'checkbox';
        box.checked = this.ticked.has(name);
        box.disabled = !preset && name === manifest.catchAll;
        box.addEventListener('change', () => {
          if (box.checked) this.ticked.add(name);
          else this.ticked.delete(name);
          this.showCount();
        });
        const label = element('label', undefined, box.disabled ? `${name} (catch-all, never known)` : name);
        label.prepend(box);
        const item = element('li', undefined, undefined, 'class-item');
        item.dataset.className = name;
        item.append(label);
        return item;
      }),
    );
    this.showFilter();
    this.showCount();
  }

  private showFilter(): void {
    const text = this.filter.value.trim().toLowerCase();
    for (const item of this.list.children)
      (item as HTMLElement).hidden = text !== '' && !(item as HTMLElement).dataset.className!.toLowerCase().includes(text);
  }

  private showCount(): void {
    this.summary.textContent = `Known classes: ${this.ticked.size} of ${this.list.children.length}`;
  }

  private applyChoice(): void {
    const manifest = this.manifest;
    if (!manifest) return;
    const preset = this.currentPreset();
    const choice: ClassChoice = { known: [...this.ticked], ...(preset && { preset }) };
    try {
      selectClasses(manifest, choice);
    } catch (e) {
      this.problem.hidden = false;
      this.problem.textContent = e instanceof Error ? e.message : String(e);
      return;
    }
    this.problem.hidden = true;
    this.applied = choice;
    this.onApply(choice);
  }
}
