/** Shows the loaded scan (summary, warnings, first frame) and the last load error. Text only. */
import { FORMAT_LABELS, type Scan } from '../scan/scan.ts';

export class ScanPanel {
  readonly element = document.createElement('section');
  private readonly summary = document.createElement('dl');
  private readonly error = document.createElement('p');
  private readonly warnings = document.createElement('ul');
  private readonly preview = document.createElement('canvas');
  private readonly autosave = document.createElement('p');

  constructor() {
    this.element.className = 'scan-panel';
    this.summary.dataset.testid = 'scan-summary';
    this.error.className = 'error';
    this.error.dataset.testid = 'error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    this.warnings.dataset.testid = 'warnings';
    this.preview.dataset.testid = 'scan-preview';
    this.preview.hidden = true;
    this.autosave.dataset.testid = 'autosave';
    this.autosave.hidden = true;
    this.element.append(this.error, this.autosave, this.summary, this.warnings, this.preview);
  }

  /** A field saved by an earlier session, which dropping the same scan goes on from (null: none). */
  showAutosave(saved: { scan: { name: string }; steps: number; savedAt: string } | null): void {
    this.autosave.textContent = saved
      ? `Saved from your last session: ${saved.scan.name}, trained to step ${saved.steps} (${new Date(saved.savedAt).toLocaleString()}). Drop the same scan to go on from there.`
      : '';
    this.autosave.hidden = saved === null;
  }

  showScan(scan: Scan): void {
    const rows: [string, string][] = [
      ['Scan', scan.sourceName],
      ['Format', FORMAT_LABELS[scan.format]],
      ['Frames', String(scan.frames.length)],
      ['Image size', `${scan.imageSize.width}×${scan.imageSize.height} (training ${scan.trainingSize.width}×${scan.trainingSize.height})`],
      ['Depth', scan.hasDepth ? 'yes' : 'no'],
      ['Labels', scan.hasLabels ? `yes${scan.classes ? ` (${scan.classes.length} classes)` : ''}` : 'no'],
    ];
    this.summary.replaceChildren(
      ...rows.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        dd.dataset.field = k.toLowerCase().replace(/ /g, '-');
        return [dt, dd];
      }),
    );
    this.warnings.replaceChildren(
      ...scan.warnings.map((w) => {
        const li = document.createElement('li');
        li.textContent = w;
        return li;
      }),
    );
    const f = scan.frames[0]!;
    this.preview.width = f.width;
    this.preview.height = f.height;
    this.preview.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(f.rgba), f.width, f.height), 0, 0);
    this.preview.hidden = false;
  }

  showError(message: string | null): void {
    this.error.textContent = message ?? '';
    this.error.hidden = message === null;
  }
}
