/**
 * Training progress as charts (uPlot): loss (log scale) and PSNR over steps, and the number of
 * classes, known and discovered, over steps. Adding a point is cheap: the charts redraw at most
 * about four times a second, in an animation frame, and keep at most MAX_CHART_POINTS points per
 * chart (older ones thinned evenly). Points with a value that is not a finite number are skipped.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { element } from './dom-element.ts';

/** Most points a chart keeps. */
export const MAX_CHART_POINTS = 2000;

/** Shortest time between two redraws (ms). */
export const CHART_REDRAW_INTERVAL_MS = 250;

/**
 * Indices of the points to keep when a series of `length` points exceeds `max`: the newest half
 * of `max` all kept, the older points thinned evenly to a quarter of `max` (the first one
 * included), so that the result has 3/4 of `max` points and thinning happens once per max/4 new
 * points. Repeated, older points get sparser and the recent past stays detailed. Sorted.
 */
export function decimationIndices(length: number, max: number = MAX_CHART_POINTS): number[] {
  const n = Math.max(0, Math.floor(length));
  const limit = Math.max(1, Math.floor(max));
  if (n <= limit) return evenly(0, n, n);
  if (limit < 4) return evenly(0, n, limit);
  const old = n - Math.floor(limit / 2);
  return [...evenly(0, old, Math.floor(limit / 4)), ...evenly(old, n, n - old)];
}

/** `count` indices spread evenly over [start, end), the first and last included. */
function evenly(start: number, end: number, count: number): number[] {
  const span = end - start;
  if (count >= span) return Array.from({ length: span }, (_, i) => start + i);
  if (count <= 0) return [];
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) => start + Math.round((i * (span - 1)) / (count - 1)));
}

/** Columns of one chart: x first. */
type Columns = (number | null)[][];

/** A growing chart series: x (step) and y columns, thinned when too long. */
class Series {
  columns: Columns;

  constructor(private readonly width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }

  get length(): number {
    return this.columns[0]!.length;
  }

  get last(): (number | null)[] | null {
    const n = this.length;
    return n === 0 ? null : this.columns.map((c) => c[n - 1]!);
  }

  add(values: (number | null)[]): void {
    const x = values[0]!;
    const n = this.length;
    const lastX = n > 0 ? (this.columns[0]![n - 1] as number) : -Infinity;
    if (x < lastX) {
      // Steps went back (a reset, a roll-back after a divergence): the points past x are history that no longer happened.
      const keep = this.columns[0]!.findIndex((v) => (v as number) >= x);
      this.columns.forEach((c) => c.splice(keep));
    } else if (x === lastX) {
      this.columns.forEach((c, i) => (c[n - 1] = values[i]!));
      return;
    }
    this.columns.forEach((c, i) => c.push(values[i]!));
    if (this.length > MAX_CHART_POINTS) {
      const keep = decimationIndices(this.length);
      this.columns = this.columns.map((c) => keep.map((k) => c[k]!));
    }
  }

  clear(): void {
    this.columns = Array.from({ length: this.width }, () => []);
  }

  data(): uPlot.AlignedData {
    const [x, ...ys] = this.columns;
    return [x!.slice() as number[], ...ys.map((y) => y.slice())];
  }
}

const AXIS_STROKE = '#b8c4d0';
const GRID = { stroke: '#2a2e35', width: 1 };
const TICKS = { stroke: '#2a2e35', width: 1 };
const CHART_HEIGHT = 150;

const fmt = (v: number | null | undefined, digits: number): string =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
/** A loss: three significant digits (losses span decades). */
const fmtLoss = (v: number | null | undefined): string =>
  typeof v === 'number' && Number.isFinite(v) ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toPrecision(3)) : '—';

export class TrainingCharts {
  readonly element = element('section', 'training-charts', undefined, 'charts');
  private readonly trainingBox = element('div', 'chart', undefined, 'chart-training');
  private readonly classesBox = element('div', 'chart', undefined, 'chart-classes');
  private readonly trainingLatest = element('p', 'chart-latest', 'No training steps yet.', 'charts-training-latest');
  private readonly classesLatest = element('p', 'chart-latest', 'No discovery yet.', 'charts-classes-latest');
  private readonly training = new Series(3); // step, loss, PSNR
  private readonly classes = new Series(3); // step, known, novel
  private trainingPlot: uPlot | null = null;
  private classesPlot: uPlot | null = null;
  private pending = false;
  private lastDraw = -Infinity;
  private dirty = false;
  private resizeObserver: ResizeObserver | null = null;
  private width = 0;

  constructor() {
    this.element.append(
      element('h2', undefined, 'Training'),
      element('h3', undefined, 'Loss and PSNR'),
      this.trainingBox,
      this.trainingLatest,
      element('h3', undefined, 'Classes'),
      this.classesBox,
      this.classesLatest,
    );
    if (typeof ResizeObserver === 'function') {
      this.resizeObserver = new ResizeObserver(() => this.resize());
      this.resizeObserver.observe(this.element);
    }
  }

  /** A training step's loss and PSNR (dB); skipped when any is not a finite number. */
  addTraining(step: number, loss: number, psnr: number): void {
    if (!Number.isFinite(step) || !Number.isFinite(loss) || !Number.isFinite(psnr)) return;
    // The loss axis is logarithmic: a loss of 0 (or less) leaves a gap, the PSNR still shows.
    this.training.add([step, loss > 0 ? loss : null, psnr]);
    this.schedule();
  }

  /** The number of known and discovered classes after a discovery update at `step`. */
  addDiscovery(step: number, known: number, novel: number): void {
    if (!Number.isFinite(step) || !Number.isFinite(known) || !Number.isFinite(novel)) return;
    this.classes.add([step, known, novel]);
    this.schedule();
  }

  /** Forgets every point (a new scan or a new training run). */
  reset(): void {
    this.training.clear();
    this.classes.clear();
    this.schedule();
  }

  /** Points each chart holds now. */
  get pointCounts(): { training: number; discovery: number } {
    return { training: this.training.length, discovery: this.classes.length };
  }

  /** Redraws now if anything changed (normally a scheduled animation frame does it). */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastDraw = performance.now();
    try {
      this.draw();
    } catch (e) {
      console.warn('training charts: redraw failed', e);
    }
  }

  /** Removes the charts and stops watching the size. */
  dispose(): void {
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    this.trainingPlot?.destroy();
    this.classesPlot?.destroy();
    this.trainingPlot = this.classesPlot = null;
  }

  private schedule(): void {
    this.dirty = true;
    if (this.pending) return;
    this.pending = true;
    const frame = (): void => {
      this.pending = false;
      this.flush();
    };
    const inFrame = (): void => {
      if (typeof requestAnimationFrame === 'function') requestAnimationFrame(frame);
      else frame();
    };
    const wait = this.lastDraw + CHART_REDRAW_INTERVAL_MS - performance.now();
    if (wait > 0) setTimeout(inFrame, wait);
    else inFrame();
  }

  private chartWidth(): number {
    const w = Math.floor(this.element.clientWidth);
    return w > 0 ? Math.max(160, w) : 320;
  }

  private resize(): void {
    const width = this.chartWidth();
    if (width === this.width) return;
    this.width = width;
    this.trainingPlot?.setSize({ width, height: CHART_HEIGHT });
    this.classesPlot?.setSize({ width, height: CHART_HEIGHT });
  }

  private draw(): void {
    const trainingData = this.training.data();
    const classesData = this.classes.data();
    if (!this.trainingPlot || !this.classesPlot) {
      this.width = this.chartWidth();
      this.trainingPlot ??= new uPlot(this.trainingOptions(), trainingData, this.trainingBox);
      this.classesPlot ??= new uPlot(this.classesOptions(), classesData, this.classesBox);
    } else {
      this.trainingPlot.setData(trainingData);
      this.classesPlot.setData(classesData);
    }
    const t = this.training.last;
    this.trainingLatest.textContent = t ? `step ${t[0]}: loss ${fmtLoss(t[1])}, PSNR ${fmt(t[2], 2)} dB` : 'No training steps yet.';
    const c = this.classes.last;
    this.classesLatest.textContent = c ? `step ${c[0]}: ${c[1]} known, ${c[2]} discovered` : 'No discovery yet.';
    this.element.dataset.trainingPoints = String(this.training.length);
    this.element.dataset.discoveryPoints = String(this.classes.length);
    if (t) this.element.dataset.lastStep = String(t[0]);
    else delete this.element.dataset.lastStep;
  }

  private axis(scale: string, side: 1 | 3, label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
    return { scale, side, label, stroke: AXIS_STROKE, grid: GRID, ticks: TICKS, size: 50, labelSize: 18, ...extra };
  }

  private trainingOptions(): uPlot.Options {
    return {
      width: this.width,
      height: CHART_HEIGHT,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, loss: { distr: 3 }, psnr: {} },
      series: [
        { label: 'step' },
        { label: 'loss', scale: 'loss', stroke: '#ff9f6e', width: 1.5, points: { show: false }, value: (_u, v) => fmtLoss(v) },
        { label: 'PSNR (dB)', scale: 'psnr', stroke: '#7fb3ff', width: 1.5, points: { show: false }, value: (_u, v) => fmt(v, 2) },
      ],
      axes: [
        { stroke: AXIS_STROKE, grid: GRID, ticks: TICKS },
        // The log axis's minor ticks would make a dense grid: the PSNR axis draws the grid lines.
        this.axis('loss', 3, 'loss', { grid: { show: false } }),
        this.axis('psnr', 1, 'PSNR (dB)'),
      ],
    };
  }

  private classesOptions(): uPlot.Options {
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const line = (label: string, stroke: string): uPlot.Series => ({
      label,
      scale: 'count',
      stroke,
      width: 1.5,
      ...(stepped ? { paths: stepped } : {}),
      value: (_u, v) => fmt(v, 0),
    });
    return {
      width: this.width,
      height: CHART_HEIGHT,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, count: { range: (_u, _min, max) => [0, Math.max(1, Number.isFinite(max) ? max : 1) + 1] } },
      series: [{ label: 'step' }, line('known', '#9fd3a8'), line('discovered', '#e7298a')],
      axes: [{ stroke: AXIS_STROKE, grid: GRID, ticks: TICKS }, this.axis('count', 3, 'classes', { incrs: [1, 2, 5, 10, 20, 50, 100] })],
    };
  }
}
