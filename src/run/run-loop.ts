/**
 * The run loop: trains the pipeline in slices, handles a divergence, and reruns discovery at its
 * cadence. The viewer and the command line drive the same loop and differ only in their policy
 * (the viewer pauses after a roll-back and never ends; a headless run goes on up to a number of
 * roll-backs and ends at its step count) and in what they do between slices (the viewer renders a
 * view and waits for the next animation frame).
 *
 * Discovery waits until the field has learnt the segmenter's classes (warm-up.ts), then comes at
 * every `discoverEvery` steps from there: a slice ends at the next discovery step, so that
 * discovery sees the field at exactly those steps whatever the slice length.
 */
import type { DiscoverySettings, DiscoveryUpdate } from '../discover/class-discovery.ts';
import type { BatchLosses } from '../field/field-trainer.ts';
import { TrainingDivergedError, type DiscoveryPipeline } from '../pipeline/discovery-pipeline.ts';
import { checkRunSettings, withRunSettings, type RunSettings, type RunSettingsChanges } from './run-settings.ts';
import { WarmUp, type WarmUpSettings, type WarmUpState } from './warm-up.ts';

export interface RunPolicy {
  /** The run ends at this step (Infinity: it trains until stopped). */
  until: number;
  /** After a roll-back, pause until resume() (the viewer: the user sees what happened and chooses). */
  pauseAfterRollBack: boolean;
  /** Roll-backs before a divergence ends the run with TrainingDivergedError. */
  maxRollBacks: number;
  /** When discovery may start (when absent: warm-up.ts's defaults, limited by the run's warmUpSteps). */
  warmUp?: WarmUpSettings;
}

/** A run that ends: at its step count, after up to three roll-backs (each halving the learning rate). */
export function headlessPolicy(settings: Pick<RunSettings, 'steps'>): RunPolicy {
  return { until: settings.steps, pauseAfterRollBack: false, maxRollBacks: 3 };
}

/** The viewer's run: never ends by itself, pauses after every roll-back. */
export const LIVE_POLICY: Readonly<RunPolicy> = { until: Infinity, pauseAfterRollBack: true, maxRollBacks: Infinity };

export type RunEvent =
  | { type: 'trained'; step: number; losses: BatchLosses }
  /** After each slice until the field is warm, and once more when it is. */
  | { type: 'warm-up'; state: WarmUpState }
  | { type: 'rolled-back'; error: TrainingDivergedError; step: number; learningRate: number; rollBacks: number }
  | { type: 'pre-segmenting'; done: number; total: number }
  | { type: 'discovered'; step: number; update: DiscoveryUpdate }
  | { type: 'training'; running: boolean };

/** What the pipeline must offer the loop. */
export type RunnablePipeline = Pick<
  DiscoveryPipeline,
  'steps' | 'train' | 'recoverFromDivergence' | 'discover' | 'setLearningRate' | 'setKlWeight' | 'setDiscoverySettings'
>;

export type RunEnd = 'finished' | 'stopped';

export class RunLoop {
  private current: RunSettings;
  private running = true;
  private stopped = false;
  private rollBacks = 0;
  /** The step of the last discovery update (0 before the first: the first comes at discoverEvery). */
  private lastDiscovery = 0;
  private discoveryAsked = false;
  /** Wakes a paused loop that has nothing to do between slices. */
  private wake: (() => void) | null = null;
  private readonly warmUp: WarmUp;

  constructor(
    private readonly pipeline: RunnablePipeline,
    settings: RunSettings,
    private readonly policy: RunPolicy,
    private readonly emit: (event: RunEvent) => void = () => {},
    /** Between two turns of the loop (the viewer: a view, then the next animation frame). */
    private readonly between?: () => Promise<void>,
  ) {
    checkRunSettings(settings);
    this.current = withRunSettings(settings);
    this.warmUp = new WarmUp(policy.warmUp);
    if (!policy.warmUp) this.warmUp.limit(this.current.warmUpSteps);
  }

  get settings(): Readonly<RunSettings> {
    return this.current;
  }

  get training(): boolean {
    return this.running;
  }

  /**
   * Other settings from now on: learning rate, λ and discovery's settings go to the pipeline at
   * once; slice length and cadence apply from the next turn. Out of range: a RangeError, and
   * nothing changes.
   */
  configure(changes: RunSettingsChanges): void {
    const next = withRunSettings(this.current, changes);
    checkRunSettings(next);
    if (next.learningRate !== this.current.learningRate) this.pipeline.setLearningRate(next.learningRate);
    if (next.klWeight !== this.current.klWeight) this.pipeline.setKlWeight(next.klWeight);
    if (!sameDiscovery(next.discovery, this.current.discovery)) this.pipeline.setDiscoverySettings(next.discovery);
    if (next.warmUpSteps !== this.current.warmUpSteps && !this.policy.warmUp) this.warmUp.limit(next.warmUpSteps);
    this.current = next;
  }

  pause(): void {
    this.setRunning(false);
  }

  resume(): void {
    this.setRunning(true);
  }

  /** A discovery update at the next turn, whatever the cadence (the viewer's "Discover now", a resumed checkpoint). */
  discoverSoon(): void {
    this.discoveryAsked = true;
    this.wakeUp();
  }

  /** The field was replaced (reset): warm-up and cadence start over. */
  restartCadence(): void {
    this.lastDiscovery = 0;
    this.rollBacks = 0;
    this.warmUp.reset();
  }

  /**
   * The field went back to an earlier step (it was rebuilt from a copy after a lost device): the
   * next discovery comes `discoverEvery` steps after the last one it has seen, not after a step it
   * no longer has. Warm-up, once passed, stays passed: the classes were learnt by then.
   */
  rewoundTo(step: number): void {
    this.lastDiscovery = Math.min(this.lastDiscovery, step);
  }

  /** Ends run() at its next turn; what is in flight finishes first. */
  stop(): void {
    this.stopped = true;
    this.wakeUp();
  }

  /** After stop() and the end of run(): run() may go on again, with the loop's cadence and warm-up as they were. */
  reopen(): void {
    this.stopped = false;
  }

  private setRunning(running: boolean): void {
    if (running === this.running) return;
    this.running = running;
    this.emit({ type: 'training', running });
    this.wakeUp();
  }

  private wakeUp(): void {
    this.wake?.();
    this.wake = null;
  }

  /**
   * Runs until the policy's step count or stop(). A run that ends gets one more discovery update
   * at its last step, unless it has just had one. Throws what the pipeline throws (a divergence
   * after the last roll-back included).
   */
  async run(): Promise<RunEnd> {
    while (!this.stopped && this.pipeline.steps < this.policy.until) {
      if (this.running) await this.trainSlice();
      if (this.stopped) break;
      if (this.discoveryDue()) await this.discoverNow();
      if (this.stopped) break;
      if (this.between) await this.between();
      else if (!this.running && !this.discoveryDue() && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.stopped) return 'stopped';
    if (this.lastDiscovery !== this.pipeline.steps) await this.discoverNow();
    return 'finished';
  }

  private discoveryDue(): boolean {
    const steps = this.pipeline.steps;
    return steps > 0 && (this.discoveryAsked || (this.warmUp.state.warm && steps - this.lastDiscovery >= this.current.discoverEvery));
  }

  private async trainSlice(): Promise<void> {
    const steps = this.pipeline.steps;
    const { stepsPerSlice, discoverEvery } = this.current;
    // Until warm, slices run whole: the first discovery comes at the first slice's end after it.
    const untilDiscovery = this.warmUp.state.warm ? Math.max(1, this.lastDiscovery + discoverEvery - steps) : stepsPerSlice;
    const count = Math.min(stepsPerSlice, untilDiscovery, this.policy.until - steps);
    try {
      const losses = await this.pipeline.train(count, stepsPerSlice);
      const wasWarm = this.warmUp.state.warm;
      this.warmUp.observe(this.pipeline.steps, losses.kl);
      this.emit({ type: 'trained', step: this.pipeline.steps, losses });
      if (!wasWarm) this.emit({ type: 'warm-up', state: this.warmUp.state });
    } catch (e) {
      if (!(e instanceof TrainingDivergedError) || this.rollBacks >= this.policy.maxRollBacks) throw e;
      this.rollBacks++;
      const { step, learningRate } = await this.pipeline.recoverFromDivergence();
      this.current = { ...this.current, learningRate };
      this.emit({ type: 'rolled-back', error: e, step, learningRate, rollBacks: this.rollBacks });
      if (this.policy.pauseAfterRollBack) this.pause();
    }
  }

  private async discoverNow(): Promise<void> {
    this.discoveryAsked = false;
    this.lastDiscovery = this.pipeline.steps;
    const update = await this.pipeline.discover((_, done, total) => this.emit({ type: 'pre-segmenting', done, total }));
    this.emit({ type: 'discovered', step: this.pipeline.steps, update });
  }
}

function sameDiscovery(a: DiscoverySettings, b: DiscoverySettings): boolean {
  return (Object.keys(a) as (keyof DiscoverySettings)[]).every((key) => a[key] === b[key]);
}
