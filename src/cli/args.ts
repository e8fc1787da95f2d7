/**
 * Command-line options shared by every headless command: `--name value`, `--name=value`, bare
 * `--flag`, and positionals. A wrong option is a UsageError, which the command prints as one
 * `error:` line and exit status 2.
 */
import { fileSystemProblem, isFileSystemError } from './file-system-problem.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedArgs {
  options: Map<string, string | true>;
  positionals: string[];
}

export function parseArgs(argv: string[], spec: { values: string[]; flags: string[] }): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (spec.flags.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
    } else if (spec.values.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { options, positionals };
}

export function intOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw === true || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${raw === true ? 'nothing' : `'${raw}'`}`);
  }
  return value;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.options.get(name);
  return raw === true ? undefined : raw;
}

/**
 * Runs a command's main; usage errors, expected failures and file-system errors (a folder it may
 * not write, say) print one line and exit 2.
 */
export async function runCommand(main: () => Promise<void>, expected: (e: unknown) => boolean = () => false): Promise<void> {
  try {
    await main();
  } catch (e) {
    const message =
      e instanceof UsageError || expected(e)
        ? (e as Error).message
        : isFileSystemError(e)
          ? `${e.path}: ${fileSystemProblem(e.code)}`
          : null;
    if (message === null) throw e;
    process.stderr.write(`error: ${message}\n`);
    process.exit(2);
  }
}
