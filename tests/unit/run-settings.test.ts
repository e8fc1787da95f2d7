/**
 * The run settings: every default inside its own range (the panel and the command line check the
 * same ranges), a value out of range named with the setting, and the command line's flags read
 * into settings with one error line's worth of message for a bad value.
 */
import { WARM_UP } from '../../src/run/warm-up.ts';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.ts';
import { RUN_SETTING_FLAGS, runSettingChanges } from '../../src/cli/run-setting-flags.ts';
import { DEFAULT_DISCOVERY } from '../../src/discover/class-discovery.ts';
import { INSTANT_NGP_ADAM } from '../../src/field/adam.ts';
import { DEFAULT_RENDER_LOSS } from '../../src/field/volume-renderer.ts';
import {
  checkRunSettings,
  DEFAULT_RUN_SETTINGS,
  LIVE_RUN_SETTINGS,
  readRunSetting,
  RUN_SETTING_SPECS,
  withRunSettings,
  type RunSettingKey,
} from '../../src/run/run-settings.ts';

const flags = (...argv: string[]) => runSettingChanges(parseArgs(argv, { values: [...RUN_SETTING_FLAGS], flags: [] }));

describe('run settings', () => {
  it('take the lower layers’ defaults rather than copies of them', () => {
    expect(DEFAULT_RUN_SETTINGS.learningRate).toBe(INSTANT_NGP_ADAM.learningRate);
    expect(DEFAULT_RUN_SETTINGS.klWeight).toBe(DEFAULT_RENDER_LOSS.klWeight);
    expect(DEFAULT_RUN_SETTINGS.discovery).toBe(DEFAULT_DISCOVERY);
    expect(DEFAULT_RUN_SETTINGS.warmUpSteps).toBe(WARM_UP.maxSteps);
    expect(LIVE_RUN_SETTINGS).toEqual({ ...DEFAULT_RUN_SETTINGS, discoverEvery: 100, warmUpSteps: 500 });
  });

  it('have every default inside its range, and every slider inside the valid range', () => {
    expect(() => checkRunSettings(DEFAULT_RUN_SETTINGS)).not.toThrow();
    expect(() => checkRunSettings(LIVE_RUN_SETTINGS)).not.toThrow();
    for (const [key, spec] of Object.entries(RUN_SETTING_SPECS) as [RunSettingKey, (typeof RUN_SETTING_SPECS)[RunSettingKey]][]) {
      if (spec.kind !== 'number' || !spec.slider) continue;
      expect(spec.slider.min, key).toBeGreaterThanOrEqual(spec.min);
      expect(spec.slider.max, key).toBeLessThanOrEqual(spec.max);
      const value = readRunSetting(DEFAULT_RUN_SETTINGS, key) as number;
      expect(value >= spec.slider.min && value <= spec.slider.max, `${key} default on its slider`).toBe(true);
    }
  });

  it('name the setting that is out of range', () => {
    expect(() => checkRunSettings(withRunSettings(DEFAULT_RUN_SETTINGS, { stepsPerSlice: 0 }))).toThrow(
      'run settings: stepsPerSlice must be from 1 to 64, got 0',
    );
    expect(() => checkRunSettings(withRunSettings(DEFAULT_RUN_SETTINGS, { keyframes: 2.5 }))).toThrow(
      'run settings: keyframes must be a whole number, got 2.5',
    );
    expect(() => checkRunSettings(withRunSettings(DEFAULT_RUN_SETTINGS, { learningRate: Number.NaN }))).toThrow(
      'run settings: learningRate must be a finite number, got NaN',
    );
    expect(() => checkRunSettings(withRunSettings(DEFAULT_RUN_SETTINGS, { discovery: { confidence: 2 } }))).toThrow(
      'discovery: confidence must be in (0, 1], got 2',
    );
  });

  it('change only what is given, deep for discovery, without touching the defaults', () => {
    const s = withRunSettings(DEFAULT_RUN_SETTINGS, { steps: 10, discovery: { inflation: 3 } });
    expect(s.steps).toBe(10);
    expect(s.discovery).toEqual({ ...DEFAULT_DISCOVERY, inflation: 3 });
    expect(DEFAULT_DISCOVERY.inflation).toBe(12);
    expect(DEFAULT_RUN_SETTINGS.steps).toBe(2000);
  });

  it('come from command-line flags with the same ranges', () => {
    expect(
      flags('--steps', '160', '--discover-every', '40', '--algorithm', 'mcl', '--inflation', '2.5', '--learning-rate', '0.005'),
    ).toEqual({
      steps: 160,
      discoverEvery: 40,
      learningRate: 0.005,
      discovery: { algorithm: 'mcl', inflation: 2.5 },
    });
    expect(flags()).toEqual({});
    expect(() => flags('--steps', '0')).toThrow("--steps must be a whole number from 1 to 10000000, got '0'");
    expect(() => flags('--keyframes', '2.5')).toThrow("--keyframes must be a whole number from 1 to 10000, got '2.5'");
    expect(() => flags('--learning-rate', 'fast')).toThrow("--learning-rate must be a number from 0.000001 to 1, got 'fast'");
    expect(() => flags('--kl-weight', '')).toThrow("--kl-weight must be a number from 0 to 10, got ''");
    expect(() => flags('--algorithm', 'kmeans')).toThrow("discovery: algorithm must be 'mcl' or 'hdbscan', got kmeans");
  });
});
