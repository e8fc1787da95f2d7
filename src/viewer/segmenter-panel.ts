/**
 * The segmenter's part of the lil-gui panel: the model list (the project's own model, real
 * pre-trained ones downloaded only when asked), loading a model from disk, the execution provider
 * (chosen by measurement, overridable), and below them the model's description, download
 * progress, what is in use, and errors. Text only: names and messages from files never become
 * markup.
 */
import GUI from 'lil-gui';
import type { ClassChoice } from '../segment/class-selection.ts';
import type { ExecutionProvider } from '../segment/execution-provider.ts';
import { loadCatalogEntry, MODEL_CATALOG, type CatalogEntry } from '../segment/model-catalog.ts';
import type { Segmenter, SegmenterInfo } from '../segment/segmenter.ts';
import { element } from './dom-element.ts';
import { KnownClassesPicker } from './known-classes.ts';

export interface SegmenterPanelEvents {
  /** After the user loaded a model here (not after loads asked for elsewhere). */
  onModelChosen?(info: SegmenterInfo): void;
  /** After the user applied another choice of known classes. */
  onClassesChosen?(choice: ClassChoice): void;
}

const PROVIDERS: { value: '' | ExecutionProvider; label: string }[] = [
  { value: '', label: 'automatic (by adapter)' },
  { value: 'wasm', label: 'wasm (CPU)' },
  { value: 'webgpu', label: 'WebGPU' },
];

/** A lil-gui dropdown whose <option>s carry `values` (lil-gui keeps only their index), with a test id. */
function tagSelect(controller: { domElement: HTMLElement }, testid: string, values: readonly string[]): HTMLSelectElement {
  const select = controller.domElement.querySelector('select')!;
  select.dataset.testid = testid;
  [...select.options].forEach((o, i) => (o.value = values[i]!));
  return select;
}

export class SegmenterPanel {
  /** The folder's element (or the own panel's, without a parent). */
  readonly element: HTMLElement;
  private readonly state: { model: string; provider: '' | ExecutionProvider };
  private readonly use;
  private readonly file = element('input', undefined, undefined, 'model-file');
  private readonly description = element('p', undefined, undefined, 'model-description');
  private readonly progress = element('progress', undefined, undefined, 'model-progress');
  private readonly status = element('p', undefined, 'No segmenter loaded.', 'model-status');
  private readonly error = element('p', 'error', undefined, 'model-error');
  private readonly known: KnownClassesPicker;
  private shownModel: SegmenterInfo | null = null;
  /** Whether the user picked the model in use (a scan then keeps it rather than getting its default). */
  chosenByUser = false;

  /** As a folder of `parent`, or as its own lil-gui panel in `container`. */
  constructor(
    private readonly segmenter: Segmenter,
    where: { parent: GUI } | { container: HTMLElement },
    private readonly events: SegmenterPanelEvents = {},
    private readonly catalog: readonly CatalogEntry[] = MODEL_CATALOG,
  ) {
    this.known = new KnownClassesPicker((choice) => this.events.onClassesChosen?.(choice));
    const gui =
      'parent' in where ? where.parent.addFolder('Segmenter') : new GUI({ container: where.container, title: 'Segmenter', width: 260 });
    this.element = gui.domElement;
    this.element.classList.add('segmenter-panel');
    this.element.dataset.testid = 'segmenter-panel';
    this.state = { model: catalog[0]!.id, provider: '' };

    const models = gui
      .add(this.state, 'model', Object.fromEntries(catalog.map((e) => [e.title, e.id])))
      .name('model')
      .onChange(() => this.describe());
    tagSelect(
      models,
      'model-select',
      catalog.map((e) => e.id),
    );
    const provider = gui
      .add(this.state, 'provider', Object.fromEntries(PROVIDERS.map((p) => [p.label, p.value])))
      .name('execution provider');
    tagSelect(
      provider,
      'execution-provider',
      PROVIDERS.map((p) => p.value),
    );
    this.use = gui.add({ use: () => void this.loadSelected() }, 'use').name('Use this model');
    this.use.domElement.querySelector('button')!.dataset.testid = 'model-use';
    gui.add({ open: () => this.file.click() }, 'open').name('Load a model file…');

    this.file.type = 'file';
    this.file.multiple = true;
    this.file.accept = '.onnx,.json';
    this.file.hidden = true;
    this.file.addEventListener('change', () => void this.loadFiles());
    this.progress.hidden = true;
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    const info = element('div', 'segmenter-info');
    const hint = element('p', 'hint', 'Your own model: an .onnx file, with its manifest .json if it has one (pick both).');
    info.append(this.description, this.progress, this.status, this.error, hint, this.file, this.known.element);
    gui.$children.append(info);
    this.describe();
    // The viewer loads a scan's default model by itself: say so here too.
    segmenter.onLoaded((loaded) => this.showLoaded(loaded, ''));
    if (segmenter.info) this.showLoaded(segmenter.info, '');
  }

  /** Which of the loaded model's classes the user counts as known. */
  get classChoice(): ClassChoice {
    return this.known.choice;
  }

  private describe(): void {
    this.description.textContent = this.selected().description;
  }

  private selected(): CatalogEntry {
    return this.catalog.find((e) => e.id === this.state.model) ?? this.catalog[0]!;
  }

  private chosenProvider(): ExecutionProvider | undefined {
    return this.state.provider || undefined;
  }

  private async loadSelected(): Promise<void> {
    const entry = this.selected();
    const onProgress = (stage: 'download' | 'load', loaded: number, total: number): void => {
      this.progress.hidden = false;
      if (stage === 'download' && total > 0) {
        this.progress.max = total;
        this.progress.value = loaded;
        this.status.textContent = `Downloading ${entry.title}: ${(loaded / 2 ** 20).toFixed(1)} of ${(total / 2 ** 20).toFixed(1)} MB`;
      } else {
        this.progress.removeAttribute('value');
        this.status.textContent = `Loading ${entry.title}...`;
      }
    };
    await this.run(async () => {
      const info = await loadCatalogEntry(this.segmenter, entry, { provider: this.chosenProvider(), onProgress });
      if (info.fromCache === null) return info;
      return { info, note: info.fromCache ? " (from this browser's cache)" : ' (downloaded, checked and cached)' };
    });
  }

  private async loadFiles(): Promise<void> {
    const files = [...(this.file.files ?? [])];
    const model = files.find((f) => f.name.toLowerCase().endsWith('.onnx'));
    const manifest = files.find((f) => f.name.toLowerCase().endsWith('.json')) ?? null;
    if (!model) {
      this.showError(`Pick a .onnx model file (got ${files.map((f) => f.name).join(', ') || 'nothing'}).`);
      return;
    }
    await this.run(() => this.segmenter.loadFromFiles(model, manifest, { provider: this.chosenProvider() }));
    this.file.value = '';
  }

  /** Runs a load; on failure the message is shown and the model loaded before stays in use. */
  private async run(load: () => Promise<SegmenterInfo | { info: SegmenterInfo; note: string }>): Promise<void> {
    this.use.disable();
    this.showError(null);
    try {
      const result = await load();
      const { info, note } = 'info' in result ? result : { info: result, note: '' };
      this.showLoaded(info, note);
      this.chosenByUser = true;
      this.events.onModelChosen?.(info);
    } catch (e) {
      this.showError(e instanceof Error ? e.message : String(e));
      const current = this.segmenter.info;
      this.status.textContent = current ? `Still using ${current.manifest.name}.` : 'No segmenter loaded.';
    } finally {
      this.use.enable();
      this.progress.hidden = true;
    }
  }

  private showLoaded(info: SegmenterInfo, note: string): void {
    const m = info.manifest;
    if (this.shownModel !== info) this.known.setModel(m);
    this.shownModel = info;
    this.status.textContent = `Using ${m.name}${note}: ${m.classes.length} classes (${m.knownClasses.length} known), ${info.provider} execution provider (${info.providerReason}).`;
  }

  private showError(message: string | null): void {
    this.error.hidden = message === null;
    this.error.textContent = message ?? '';
  }
}
