/**
 * The settings of a run, and the one owner of their defaults and ranges. The viewer's control
 * panel, the command line and the run loop all read them from here: a default is written once,
 * and a range is checked the same way whether a number came from a slider or a flag.
 *
 * Defaults that belong to a lower layer stay there and are only referred to: the learning rate is
 * instant-ngp's (field/adam.ts), λ is the render loss's (field/volume-renderer.ts), the warm-up's limit is warm-up.ts's, the clustering
 * settings are discovery's (discover/class-discovery.ts).
 */
import { checkDiscoverySettings, CLUSTERING_ALGORITHMS, DEFAULT_DISCOVERY, type DiscoverySettings } from '../discover/class-discovery.ts';
import { INSTANT_NGP_ADAM } from '../field/adam.ts';
import { DEFAULT_RENDER_LOSS } from '../field/volume-renderer.ts';
import { WARM_UP } from './warm-up.ts';

export interface RunSettings {
  /** Training steps of a run that ends (the command line); the viewer trains until paused. */
  steps: number;
  /** Steps between two read-backs of the losses; in the viewer, the steps of one animation frame. */
  stepsPerSlice: number;
  learningRate: number;
  /** λ, the weight of the KL term of the semantic loss. */
  klWeight: number;
  /** Discovery reruns every this many steps (and once more at the end of a run that ends). */
  discoverEvery: number;
  /**
   * The first discovery comes once the field has learnt the segmenter's classes (warm-up.ts), and
   * at this step at the latest.
   */
  warmUpSteps: number;
  /** Frames whose segments form the clustered graph. */
  keyframes: number;
  /** Rendered pixels per segment at each discovery update. */
  samplesPerSegment: number;
  /**
   * Where the segmenter's feature statistics come from (for atypical segments): 'auto', its
   * manifest's where it has them and else the scan's own confident segments; 'scan', always the
   * scan's.
   */
  featureStatistics: FeatureStatisticsSource;
  discovery: DiscoverySettings;
}

export const FEATURE_STATISTICS_SOURCES = ['auto', 'scan'] as const;
export type FeatureStatisticsSource = (typeof FEATURE_STATISTICS_SOURCES)[number];

export const DEFAULT_RUN_SETTINGS: Readonly<RunSettings> = Object.freeze({
  steps: 2000,
  stepsPerSlice: 4,
  learningRate: INSTANT_NGP_ADAM.learningRate,
  klWeight: DEFAULT_RENDER_LOSS.klWeight,
  discoverEvery: 250,
  warmUpSteps: WARM_UP.maxSteps,
  keyframes: 24,
  samplesPerSegment: 12,
  featureStatistics: 'auto',
  discovery: DEFAULT_DISCOVERY,
});

/**
 * The viewer's run: discovery updates more often and starts by step 500 at the latest, so that a
 * person watching sees classes early (on a software adapter, 1000 steps are a quarter of an hour).
 */
export const LIVE_RUN_SETTINGS: Readonly<RunSettings> = Object.freeze({ ...DEFAULT_RUN_SETTINGS, discoverEvery: 100, warmUpSteps: 500 });

/** A setting a person may change, by its path in RunSettings. */
export type RunSettingKey =
  | 'steps'
  | 'stepsPerSlice'
  | 'learningRate'
  | 'klWeight'
  | 'discoverEvery'
  | 'warmUpSteps'
  | 'keyframes'
  | 'samplesPerSegment'
  | 'featureStatistics'
  | 'discovery.algorithm'
  | 'discovery.inflation'
  | 'discovery.minClusterSize'
  | 'discovery.confidence';

interface SettingSpecBase {
  /** What the control panel calls it. */
  label: string;
  /** The command line's `--flag`, when the command line offers it. */
  flag?: string;
}

export interface NumberSettingSpec extends SettingSpecBase {
  kind: 'number';
  /** Valid values: min <= v <= max (whole numbers only when `integer`). */
  min: number;
  max: number;
  integer?: boolean;
  /** The panel's slider, where the valid range is too wide to slide through (step 0: continuous). */
  slider?: { min: number; max: number; step?: number };
}

export interface ChoiceSettingSpec extends SettingSpecBase {
  kind: 'choice';
  choices: readonly string[];
}

export type RunSettingSpec = NumberSettingSpec | ChoiceSettingSpec;

export const RUN_SETTING_SPECS: Readonly<Record<RunSettingKey, RunSettingSpec>> = {
  steps: { kind: 'number', label: 'training steps', flag: 'steps', min: 1, max: 10_000_000, integer: true },
  stepsPerSlice: { kind: 'number', label: 'steps per frame', min: 1, max: 64, integer: true },
  learningRate: { kind: 'number', label: 'learning rate', flag: 'learning-rate', min: 1e-6, max: 1, slider: { min: 1e-4, max: 5e-2 } },
  klWeight: { kind: 'number', label: 'λ (KL term)', flag: 'kl-weight', min: 0, max: 10, slider: { min: 0, max: 1 } },
  discoverEvery: {
    kind: 'number',
    label: 'update every (steps)',
    flag: 'discover-every',
    min: 1,
    max: 10_000_000,
    integer: true,
    slider: { min: 10, max: 2000, step: 10 },
  },
  warmUpSteps: {
    kind: 'number',
    label: 'first update by (steps)',
    flag: 'warm-up-steps',
    min: 0,
    max: 10_000_000,
    integer: true,
    slider: { min: 0, max: 2000, step: 10 },
  },
  keyframes: { kind: 'number', label: 'keyframes', flag: 'keyframes', min: 1, max: 10_000, integer: true },
  samplesPerSegment: { kind: 'number', label: 'samples per segment', min: 1, max: 1000, integer: true },
  featureStatistics: { kind: 'choice', label: 'feature statistics', flag: 'feature-statistics', choices: FEATURE_STATISTICS_SOURCES },
  'discovery.algorithm': { kind: 'choice', label: 'algorithm', flag: 'algorithm', choices: CLUSTERING_ALGORITHMS },
  'discovery.inflation': { kind: 'number', label: 'MCL inflation', flag: 'inflation', min: 1.01, max: 100, slider: { min: 1.2, max: 20 } },
  'discovery.minClusterSize': {
    kind: 'number',
    label: 'HDBSCAN min cluster',
    flag: 'min-cluster-size',
    min: 2,
    max: 10_000,
    integer: true,
    slider: { min: 2, max: 64, step: 1 },
  },
  'discovery.confidence': { kind: 'number', label: 'confidence', flag: 'confidence', min: 0.01, max: 1, slider: { min: 0.1, max: 1 } },
};

/** Some settings to change; `discovery` may name only some of its own. */
export type RunSettingsChanges = Partial<Omit<RunSettings, 'discovery'>> & { discovery?: Partial<DiscoverySettings> };

/** A copy of `base` with `changes` (deep for `discovery`), not yet checked. */
export function withRunSettings(base: Readonly<RunSettings>, changes: RunSettingsChanges = {}): RunSettings {
  return { ...base, ...changes, discovery: { ...base.discovery, ...changes.discovery } };
}

export function readRunSetting(settings: Readonly<RunSettings>, key: RunSettingKey): number | string {
  if (key.startsWith('discovery.')) return settings.discovery[key.slice('discovery.'.length) as keyof DiscoverySettings];
  return settings[key as Exclude<RunSettingKey, `discovery.${string}`>];
}

/** Why `value` is not valid for `key`, or null when it is. */
export function runSettingProblem(key: RunSettingKey, value: unknown): string | null {
  const spec = RUN_SETTING_SPECS[key];
  if (spec.kind === 'choice')
    return spec.choices.includes(value as string) ? null : `must be one of ${spec.choices.join(', ')}, got ${String(value)}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number, got ${String(value)}`;
  if (spec.integer && !Number.isInteger(value)) return `must be a whole number, got ${value}`;
  if (value < spec.min || value > spec.max) return `must be from ${spec.min} to ${spec.max}, got ${value}`;
  return null;
}

/** Throws a RangeError naming the first setting out of its range. */
export function checkRunSettings(settings: Readonly<RunSettings>): void {
  checkDiscoverySettings(settings.discovery);
  for (const key of Object.keys(RUN_SETTING_SPECS) as RunSettingKey[]) {
    const problem = runSettingProblem(key, readRunSetting(settings, key));
    if (problem) throw new RangeError(`run settings: ${key} ${problem}`);
  }
}
