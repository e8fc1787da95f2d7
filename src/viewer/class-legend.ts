/**
 * The legend of classes, known and discovered: a colour swatch, the name and the pixel share of
 * each, a "new" mark on classes that just appeared, and, for discovered (novel) classes, renaming
 * and merging. The legend decides nothing: renames and merges go to the owner's callbacks, and the
 * owner passes the names back in `update` (so that the inspector shows the same ones). Text only:
 * class names never become markup.
 */
import { element } from './dom-element.ts';

export type LegendRgb = [number, number, number];

export interface LegendClass {
  id: number;
  name: string;
  known: boolean;
  /** Share of the pixels, 0..1. */
  share: number;
  /** Discovery update in which the class first appeared. */
  since: number;
}

export interface ClassLegendCallbacks {
  /** The user renamed novel class `id` to `name` (trimmed, 1..64 characters). */
  onRename(id: number, name: string): void;
  /** The user merged novel class `fromId` into novel class `intoId`. */
  onMerge(intoId: number, fromId: number): void;
}

/** Longest class name the legend accepts, in characters (code points). */
export const MAX_CLASS_NAME_LENGTH = 64;

/** Updates a class keeps its "new" mark for after the one it first appeared in. */
export const NEW_MARK_UPDATES = 2;

/**
 * A class name as typed by the user, trimmed and cut to {@link MAX_CLASS_NAME_LENGTH} characters;
 * null when nothing but white space is left (refused).
 */
export function validateClassName(raw: string): string | null {
  const trimmed = raw.trim();
  if (trimmed === '') return null;
  const chars = Array.from(trimmed);
  return chars.length <= MAX_CLASS_NAME_LENGTH ? trimmed : chars.slice(0, MAX_CLASS_NAME_LENGTH).join('').trimEnd();
}

/** A pixel share (0..1) as a percentage with one decimal; "—" when not a number. */
export function formatShare(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : '—';
}

/** A CSS colour from 8-bit channels (clamped; non-numbers count as 0). */
export function cssRgb(c: readonly number[] | null | undefined): string {
  const ch = (v: number | undefined): number => (Number.isFinite(v) ? Math.min(255, Math.max(0, Math.round(v!))) : 0);
  return `rgb(${ch(c?.[0])}, ${ch(c?.[1])}, ${ch(c?.[2])})`;
}

/** The parts of one row that updates touch. */
interface Row {
  item: HTMLLIElement;
  known: boolean;
  swatch: HTMLSpanElement;
  name: HTMLSpanElement;
  badge: HTMLSpanElement;
  share: HTMLSpanElement;
  merge: HTMLInputElement | null;
  /** The rename box while the user edits the name. */
  editor: HTMLInputElement | null;
}

export class ClassLegend {
  readonly element = element('section', 'class-legend', undefined, 'legend');
  private readonly summary = element('p', 'legend-summary', '0 known, 0 discovered', 'legend-summary');
  private readonly list = element('ul', 'legend-list', undefined, 'legend-list');
  private readonly mergeButton = element('button', 'legend-merge-selected', 'Merge selected', 'legend-merge-selected');
  private readonly mergeHint = element('p', 'legend-merge-hint', '', 'legend-merge-hint');
  private readonly mergeBar = element('div', 'legend-merge-bar');
  private readonly rows = new Map<number, Row>();
  /** Every class id any update has shown. */
  private readonly seen = new Set<number>();
  /** Class ids with a "new" mark, and how many more updates keep it. */
  private readonly newMarks = new Map<number, number>();
  /** Novel classes ticked for merging, in the order ticked: the second merges into the first. */
  private mergeOrder: number[] = [];

  constructor(private readonly callbacks: ClassLegendCallbacks) {
    this.mergeButton.type = 'button';
    this.mergeButton.disabled = true;
    this.mergeButton.title = 'Tick two discovered classes: the second one ticked is merged into the first';
    this.mergeButton.addEventListener('click', () => this.merge());
    this.mergeBar.append(this.mergeButton, this.mergeHint);
    this.mergeBar.hidden = true;
    this.element.append(element('h2', undefined, 'Classes'), this.summary, this.list, this.mergeBar);
  }

  /**
   * Shows `classes` (known ones first, each group in the given order). `names` are the owner's
   * names for classes the user renamed; a class not in it shows its own name.
   */
  update(classes: readonly LegendClass[], colour: (id: number) => LegendRgb, names?: ReadonlyMap<number, string>): void {
    for (const [id, left] of this.newMarks) {
      if (left <= 0) this.newMarks.delete(id);
      else this.newMarks.set(id, left - 1);
    }
    const ordered = [...classes.filter((c) => c.known), ...classes.filter((c) => !c.known)];
    const present = new Set<number>();
    for (const c of ordered) {
      if (present.has(c.id)) continue; // one row per id
      present.add(c.id);
      if (!this.seen.has(c.id)) {
        this.seen.add(c.id);
        this.newMarks.set(c.id, NEW_MARK_UPDATES);
      }
    }
    for (const [id, row] of this.rows) {
      if (!present.has(id)) {
        row.item.remove();
        this.rows.delete(id);
      }
    }
    this.mergeOrder = this.mergeOrder.filter((id) => present.has(id) && this.rows.get(id)?.known === false);

    let known = 0;
    let novel = 0;
    const items: HTMLLIElement[] = [];
    const done = new Set<number>();
    for (const c of ordered) {
      if (done.has(c.id)) continue;
      done.add(c.id);
      if (c.known) known++;
      else novel++;
      let row = this.rows.get(c.id);
      if (row && row.known !== c.known) {
        row.item.remove();
        this.rows.delete(c.id);
        row = undefined;
      }
      row ??= this.createRow(c.id, c.known);
      this.rows.set(c.id, row);
      this.refreshRow(row, c, colour, names?.get(c.id) ?? c.name);
      items.push(row.item);
    }
    // Re-append in order (moves the existing nodes; a row being renamed keeps its box and focus
    // unless its position changes).
    items.forEach((item, i) => {
      if (this.list.children[i] !== item) this.list.insertBefore(item, this.list.children[i] ?? null);
    });
    this.summary.textContent = `${known} known, ${novel} discovered`;
    this.mergeBar.hidden = novel < 2;
    this.refreshMerge();
  }

  private createRow(id: number, known: boolean): Row {
    const item = element('li', known ? 'legend-item' : 'legend-item novel', undefined, 'legend-item');
    item.dataset.classId = String(id);
    item.dataset.novel = String(!known);
    const row: Row = {
      item,
      known,
      swatch: element('span', 'legend-swatch', undefined, 'legend-swatch'),
      name: element('span', 'legend-name', undefined, 'legend-name'),
      badge: element('span', 'legend-new', 'new', 'legend-new'),
      share: element('span', 'legend-share', undefined, 'legend-share'),
      merge: null,
      editor: null,
    };
    row.swatch.setAttribute('aria-hidden', 'true');
    row.badge.title = 'Appeared in the latest discovery updates';
    item.append(row.swatch, row.name, row.badge, row.share);
    const dismiss = (): void => this.dismissNew(id);
    item.addEventListener('mouseenter', dismiss);
    item.addEventListener('click', dismiss);
    if (!known) {
      const rename = element('button', 'legend-rename', 'rename', 'legend-rename');
      rename.type = 'button';
      rename.addEventListener('click', () => this.startRename(id));
      const merge = element('input', undefined, undefined, 'legend-merge');
      merge.type = 'checkbox';
      merge.addEventListener('change', () => this.tick(id, merge.checked));
      const label = element('label', 'legend-merge', undefined);
      label.append(merge, document.createTextNode('merge'));
      row.merge = merge;
      item.append(rename, label);
    }
    return row;
  }

  private refreshRow(row: Row, c: LegendClass, colour: (id: number) => LegendRgb, name: string): void {
    row.item.dataset.className = name;
    let rgb: LegendRgb | undefined;
    try {
      rgb = colour(c.id);
    } catch {
      rgb = undefined;
    }
    row.swatch.style.background = cssRgb(rgb);
    if (row.editor === null) row.name.textContent = name;
    row.name.title = c.known ? name : `${name} (discovered in update ${Number.isFinite(c.since) ? c.since : '—'})`;
    row.share.textContent = formatShare(c.share);
    row.share.dataset.value = Number.isFinite(c.share) ? String(c.share) : 'NaN';
    row.badge.hidden = !this.newMarks.has(c.id);
    row.item.classList.toggle('is-new', !row.badge.hidden);
  }

  private dismissNew(id: number): void {
    if (!this.newMarks.delete(id)) return;
    const row = this.rows.get(id);
    if (row) {
      row.badge.hidden = true;
      row.item.classList.remove('is-new');
    }
  }

  private startRename(id: number): void {
    const row = this.rows.get(id);
    if (!row || row.editor) return;
    const before = row.item.dataset.className ?? row.name.textContent ?? '';
    const editor = element('input', 'legend-rename-input', undefined, 'legend-rename-input');
    editor.type = 'text';
    editor.value = before;
    editor.maxLength = MAX_CLASS_NAME_LENGTH;
    editor.setAttribute('aria-label', `New name for ${before}`);
    row.editor = editor;
    const finish = (committed: string | null): void => {
      if (row.editor !== editor) return; // already finished (Enter, then the blur of removal)
      row.editor = null;
      if (committed !== null) {
        // Shown at once; the owner's next update confirms it through `names`.
        row.name.textContent = committed;
        row.item.dataset.className = committed;
      }
      editor.replaceWith(row.name);
      if (committed !== null && committed !== before) this.callbacks.onRename(id, committed);
      this.refreshMerge();
    };
    editor.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        const name = validateClassName(editor.value);
        if (name === null) {
          editor.setAttribute('aria-invalid', 'true');
          editor.title = 'A name needs at least one character other than spaces';
        } else finish(name);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        finish(null);
      }
    });
    editor.addEventListener('input', () => editor.removeAttribute('aria-invalid'));
    editor.addEventListener('blur', () => finish(validateClassName(editor.value)));
    row.name.replaceWith(editor);
    editor.focus();
    editor.select();
  }

  private tick(id: number, checked: boolean): void {
    this.mergeOrder = this.mergeOrder.filter((x) => x !== id);
    if (checked) this.mergeOrder.push(id);
    while (this.mergeOrder.length > 2) {
      const dropped = this.mergeOrder.shift()!;
      const merge = this.rows.get(dropped)?.merge;
      if (merge) merge.checked = false;
    }
    this.refreshMerge();
  }

  private refreshMerge(): void {
    for (const [id, row] of this.rows) {
      if (row.merge) row.merge.checked = this.mergeOrder.includes(id);
      row.item.classList.toggle('merge-into', this.mergeOrder.length === 2 && this.mergeOrder[0] === id);
    }
    const [into, from] = this.mergeOrder;
    const ready = into !== undefined && from !== undefined;
    this.mergeButton.disabled = !ready;
    this.mergeHint.textContent = ready
      ? `Merges “${this.nameOf(from)}” into “${this.nameOf(into)}”.`
      : 'Tick two discovered classes to merge the second into the first.';
  }

  private nameOf(id: number): string {
    return this.rows.get(id)?.item.dataset.className ?? String(id);
  }

  private merge(): void {
    const [into, from] = this.mergeOrder;
    if (into === undefined || from === undefined) return;
    this.mergeOrder = [];
    this.refreshMerge();
    this.callbacks.onMerge(into, from);
  }
}
