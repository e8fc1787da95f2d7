/**
 * The run settings as command-line flags: every setting with a `flag` in RUN_SETTING_SPECS is an
 * option of the headless commands, with the range the control panel uses. A bad value is a
 * UsageError naming the flag.
 */
import {
  checkRunSettings,
  DEFAULT_RUN_SETTINGS,
  RUN_SETTING_SPECS,
  withRunSettings,
  type RunSettingKey,
  type RunSettingsChanges,
} from '../run/run-settings.ts';
import { UsageError, type ParsedArgs } from './args.ts';

const FLAGGED = (Object.entries(RUN_SETTING_SPECS) as [RunSettingKey, (typeof RUN_SETTING_SPECS)[RunSettingKey]][]).filter(
  (entry): entry is [RunSettingKey, (typeof RUN_SETTING_SPECS)[RunSettingKey] & { flag: string }] => entry[1].flag !== undefined,
);

/** The option names (without `--`) of the run settings. */
export const RUN_SETTING_FLAGS: readonly string[] = FLAGGED.map(([, spec]) => spec.flag);

/** `[--steps N] [--learning-rate X] ...`, for usage lines. */
export const RUN_SETTING_USAGE = FLAGGED.map(
  ([, spec]) => `[--${spec.flag} ${spec.kind === 'choice' ? spec.choices.join('|') : 'N'}]`,
).join(' ');

/** The changes the flags ask for, checked against the ranges (on top of the defaults). */
export function runSettingChanges(args: ParsedArgs): RunSettingsChanges {
  const changes: RunSettingsChanges = {};
  const discovery: Record<string, unknown> = {};
  for (const [key, spec] of FLAGGED) {
    const raw = args.options.get(spec.flag);
    if (raw === undefined) continue;
    if (raw === true) throw new UsageError(`--${spec.flag} needs a value`);
    let value: string | number = raw;
    if (spec.kind === 'number') {
      value = Number(raw);
      const ok =
        raw.trim() !== '' && Number.isFinite(value) && (!spec.integer || Number.isInteger(value)) && value >= spec.min && value <= spec.max;
      if (!ok)
        throw new UsageError(
          `--${spec.flag} must be a ${spec.integer ? 'whole number' : 'number'} from ${spec.min} to ${spec.max}, got '${raw}'`,
        );
    }
    if (key.startsWith('discovery.')) discovery[key.slice('discovery.'.length)] = value;
    else (changes as Record<string, unknown>)[key] = value;
  }
  if (Object.keys(discovery).length) changes.discovery = discovery;
  try {
    checkRunSettings(withRunSettings(DEFAULT_RUN_SETTINGS, changes));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return changes;
}
