/**
 * When the field carries enough of the segmenter's classes for discovery to mean anything. A
 * young field renders a grey fog whose every pixel is uncertain: clustering it finds a novel class
 * in nearly every segment, which a person watching takes for noise. The semantic loss (the KL term
 * between the segmenter's distribution and the field's) falls fast while the field learns the
 * classes and then levels off; discovery starts once it falls slower than `flatFall` over
 * `window` steps, after `minSteps` at the least and `maxSteps` at the most.
 *
 * The loss of one batch is noisy (its rays are random), so it is smoothed with an exponential
 * moving average over about `smoothing` steps before its fall is measured.
 */
export interface WarmUpSettings {
  minSteps: number;
  maxSteps: number;
  /** Steps over which the fall is measured. */
  window: number;
  /** Warm when the smoothed loss fell by less than this fraction over the window. */
  flatFall: number;
  /** Time constant of the moving average, in steps. */
  smoothing: number;
}

export const WARM_UP: WarmUpSettings = { minSteps: 100, maxSteps: 1000, window: 100, flatFall: 0.1, smoothing: 20 };

export interface WarmUpState {
  warm: boolean;
  /** The smoothed semantic loss, or null before the first batch. */
  loss: number | null;
  /** Its relative fall over the last window (null until a window has passed). */
  fall: number | null;
  step: number;
}

export class WarmUp {
  private average: number | null = null;
  private lastStep = 0;
  /** (step, smoothed loss) since one window before the last batch. */
  private history: [number, number][] = [];
  private reached = false;

  private settings: WarmUpSettings;

  constructor(private readonly base: WarmUpSettings = WARM_UP) {
    this.settings = base;
  }

  /** Warm by `maxSteps` at the latest (a run setting); 0: warm from the start. */
  limit(maxSteps: number): void {
    this.settings = { ...this.base, maxSteps, minSteps: Math.min(this.base.minSteps, maxSteps) };
  }

  /** The semantic loss of the batch at `step` (any step order: a roll-back goes back). */
  observe(step: number, loss: number): void {
    if (!Number.isFinite(loss)) return;
    if (step < this.lastStep) this.history = this.history.filter(([s]) => s <= step);
    const steps = Math.max(1, step - this.lastStep);
    const keep = Math.exp(-steps / this.settings.smoothing);
    this.average = this.average === null ? loss : keep * this.average + (1 - keep) * loss;
    this.lastStep = step;
    this.history.push([step, this.average]);
    while (this.history.length > 2 && this.history[1]![0] <= step - this.settings.window) this.history.shift();
    const s = this.state;
    if (s.warm) this.reached = true;
  }

  /** Once warm, a run stays warm (until reset). */
  get state(): WarmUpState {
    const { minSteps, maxSteps, window, flatFall } = this.settings;
    const [oldStep, oldLoss] = this.history[0] ?? [0, NaN];
    const fall = this.average !== null && this.lastStep - oldStep >= window && oldLoss > 0 ? (oldLoss - this.average) / oldLoss : null;
    const warm = this.reached || this.lastStep >= maxSteps || (this.lastStep >= minSteps && fall !== null && fall < flatFall);
    return { warm, loss: this.average, fall, step: this.lastStep };
  }

  /** A new field: warming starts over. */
  reset(): void {
    this.average = null;
    this.lastStep = 0;
    this.history = [];
    this.reached = false;
  }
}
