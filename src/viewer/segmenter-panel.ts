/**
 * The segmenter's part of the page: the model list (the project's own model, real pre-trained
 * ones downloaded only when asked), loading a model from disk, the execution provider (chosen by
 * measurement, overridable), download progress, and errors. Text only: names and messages from
 * files never become markup.
 */
import type { ExecutionProvider } from '../segment/execution-provider.ts';
import { loadCatalogEntry, MODEL_CATALOG, type CatalogEntry } from '../segment/model-catalog.ts';
import type { Segmenter, SegmenterInfo } from '../segment/segmenter.ts';
import { element } from './dom-element.ts';

const PROVIDERS: { value: '' | ExecutionProvider; label: string }[] = [
  { value: '', label: 'automatic (by adapter)' },
  { value: 'wasm', label: 'wasm (CPU)' },
  { value: 'webgpu', label: 'WebGPU' },
];

export class SegmenterPanel {
  readonly element = element('section', 'segmenter-panel', undefined, 'segmenter-panel');
  private readonly models = element('select', undefined, undefined, 'model-select');
  private readonly description = element('p', undefined, undefined, 'model-description');
  private readonly provider = element('select', undefined, undefined, 'execution-provider');
  private readonly use = element('button', undefined, 'Use this model', 'model-use');
  private readonly file = element('input', undefined, undefined, 'model-file');
  private readonly progress = element('progress', undefined, undefined, 'model-progress');
  private readonly status = element('p', undefined, 'No segmenter loaded.', 'model-status');
  private readonly error = element('p', undefined, undefined, 'model-error');

  constructor(
    private readonly segmenter: Segmenter,
    private readonly catalog: readonly CatalogEntry[] = MODEL_CATALOG,
  ) {
    for (const entry of catalog) this.models.append(new Option(entry.title, entry.id));
    for (const p of PROVIDERS) this.provider.append(new Option(p.label, p.value));
    this.file.type = 'file';
    this.file.multiple = true;
    this.file.accept = '.onnx,.json';
    this.progress.hidden = true;
    this.error.className = 'error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    this.models.addEventListener('change', () => this.describe());
    this.use.addEventListener('click', () => void this.loadSelected());
    this.file.addEventListener('change', () => void this.loadFiles());
    const fileLabel = element('label', undefined, 'or your own model (.onnx, with its manifest .json if it has one): ');
    fileLabel.append(this.file);
    const providerLabel = element('label', undefined, 'Execution provider: ');
    providerLabel.append(this.provider);
    this.element.append(element('h2', undefined, 'Segmenter'), this.models, this.description, providerLabel, this.use, fileLabel, this.progress, this.status, this.error);
    this.describe();
  }

  private describe(): void {
    this.description.textContent = this.selected().description;
  }

  private selected(): CatalogEntry {
    return this.catalog.find((e) => e.id === this.models.value) ?? this.catalog[0]!;
  }

  private chosenProvider(): ExecutionProvider | undefined {
    return (this.provider.value || undefined) as ExecutionProvider | undefined;
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
      return { info, note: info.fromCache ? ' (from this browser\'s cache)' : ' (downloaded, checked and cached)' };
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
    this.use.disabled = true;
    this.showError(null);
    try {
      const result = await load();
      const { info, note } = 'info' in result ? result : { info: result, note: '' };
      this.showLoaded(info, note);
    } catch (e) {
      this.showError(e instanceof Error ? e.message : String(e));
      const current = this.segmenter.info;
      this.status.textContent = current ? `Still using ${current.manifest.name}.` : 'No segmenter loaded.';
    } finally {
      this.use.disabled = false;
      this.progress.hidden = true;
    }
  }

  private showLoaded(info: SegmenterInfo, note: string): void {
    const m = info.manifest;
    this.status.textContent = `Using ${m.name}${note}: ${m.classes.length} classes (${m.knownClasses.length} known), ${info.provider} execution provider (${info.providerReason}).`;
  }

  private showError(message: string | null): void {
    this.error.hidden = message === null;
    this.error.textContent = message ?? '';
  }
}
