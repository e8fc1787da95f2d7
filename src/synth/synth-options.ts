/** Presets and options of the synthetic scan generator. */

export const PRESETS = {
  /** For unit tests: a few small frames. */
  tiny: { frames: 8, width: 64, height: 48 },
  /** A room of the demo's size at full resolution (the page's built-in demo is 40 frames of it at 160x120). */
  demo: { frames: 100, width: 320, height: 240 },
  /** The benchmark and evaluation scenes (a different room per seed). */
  bench: { frames: 200, width: 320, height: 240 },
} as const;

export type PresetName = keyof typeof PRESETS;

export interface SynthOptions {
  preset: PresetName;
  seed: number;
  frames: number;
  width: number;
  height: number;
}

/** Horizontal field of view, as Replica renders use (so that layout needs no intrinsics file). */
export const HFOV_DEGREES = 90;

export class SynthOptionsError extends Error {
  override name = 'SynthOptionsError';
}

export function resolveSynthOptions(given: Partial<SynthOptions> = {}): SynthOptions {
  const preset = given.preset ?? 'demo';
  if (!(preset in PRESETS)) throw new SynthOptionsError(`unknown preset '${preset}' (tiny, demo or bench)`);
  const base = PRESETS[preset];
  const options = {
    preset,
    seed: given.seed ?? 1,
    frames: given.frames ?? base.frames,
    width: given.width ?? base.width,
    height: given.height ?? base.height,
  };
  const check = (name: keyof SynthOptions, min: number, max: number): void => {
    const v = options[name] as number;
    if (!Number.isInteger(v) || v < min || v > max)
      throw new SynthOptionsError(`${name} must be a whole number from ${min} to ${max}, got ${v}`);
  };
  check('seed', 0, 0xffffffff);
  check('frames', 2, 10000);
  check('width', 8, 4096);
  check('height', 8, 4096);
  return options;
}

export function intrinsicsFor(options: Pick<SynthOptions, 'width' | 'height'>): { fx: number; fy: number; cx: number; cy: number } {
  // Rounded so that 90 degrees gives exactly width / 2 (Math.tan(PI / 4) is 0.9999999999999999).
  const fx = Math.round((options.width / 2 / Math.tan(((HFOV_DEGREES / 2) * Math.PI) / 180)) * 1e9) / 1e9;
  return { fx, fy: fx, cx: options.width / 2, cy: options.height / 2 };
}
