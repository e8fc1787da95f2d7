/**
 * The names of a scan's label ids and the known/novel split used for scoring: a classes.json
 * ([{id, name, known}]) beside a scan of any format, read here once for every format; it
 * overrides the format's default names (ScanNet's NYU40). A broken file or entry is a warning
 * naming the file: the scan still loads, its labels are only not scored under those names.
 */
import type { ScanLayout } from './scan-layout.ts';
import type { ScanSource } from './scan-source.ts';
import { readText } from './scan-text.ts';
import { FORMAT_LABELS, type ClassName } from './scan.ts';

export const CLASSES_FILE = 'classes.json';

const MAX_LABEL_ID = 65535;

/** Why an entry of classes.json cannot name a class, or null when it can. */
function entryProblem(entry: unknown): string | null {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'should be an object {id, name, known}';
  const { id, name, known } = entry as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_LABEL_ID)
    return `"id" should be an integer 0..${MAX_LABEL_ID}, found ${JSON.stringify(id)}`;
  if (typeof name !== 'string' || name.trim() === '') return `"name" should be a non-empty string, found ${JSON.stringify(name)}`;
  if (known !== undefined && typeof known !== 'boolean') return `"known" should be true or false, found ${JSON.stringify(known)}`;
  return null;
}

/** The classes of a classes.json's text; problems go to `warnings`, naming `file`. */
export function parseClassNames(text: string, file: string, warnings: string[]): ClassName[] | undefined {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    warnings.push(`${file}: is not valid JSON (${e instanceof Error ? e.message : String(e)}); its class names are not used`);
    return undefined;
  }
  if (!Array.isArray(list)) {
    warnings.push(`${file}: should hold a list [{id, name, known}]; its class names are not used`);
    return undefined;
  }
  const classes: ClassName[] = [];
  const problems: string[] = [];
  list.forEach((entry: unknown, i) => {
    const problem = entryProblem(entry);
    if (problem) return problems.push(`[${i}] ${problem}`);
    const { id, name, known } = entry as ClassName;
    // Scoring tells classes apart by id and by name: a second one of either is ambiguous.
    if (classes.some((c) => c.id === id)) return problems.push(`[${i}] repeats id ${id}`);
    if (classes.some((c) => c.name === name)) return problems.push(`[${i}] repeats the name "${name}"`);
    classes.push({ id, name, ...(known !== undefined ? { known } : {}) });
  });
  if (problems.length) {
    const shown = problems.slice(0, 3).join('; ');
    warnings.push(`${file}: skipped ${problems.length} of ${list.length} entries: ${shown}${problems.length > 3 ? '; ...' : ''}`);
  }
  return classes;
}

/**
 * The scan's class names: its classes.json, else the format's default names (or none), with a
 * warning for label ids in the frames that neither names.
 */
export async function scanClassNames(
  source: ScanSource,
  layout: Pick<ScanLayout, 'format' | 'classes'>,
  frames: readonly { labels?: Uint16Array }[],
  warnings: string[],
): Promise<ClassName[] | undefined> {
  const fromFile = source.paths.includes(CLASSES_FILE)
    ? parseClassNames(await readText(source, CLASSES_FILE), CLASSES_FILE, warnings)
    : undefined;
  const classes = fromFile ?? layout.classes;
  if (classes) {
    const namedBy = fromFile ? CLASSES_FILE : `the default class names of ${FORMAT_LABELS[layout.format]}`;
    const unnamed = unnamedLabelsWarning(
      frames.map((f) => f.labels),
      classes,
      namedBy,
    );
    if (unnamed) warnings.push(unnamed);
  }
  return classes;
}

/** A warning for label ids in the frames that no class names (they are never scored), or null. */
export function unnamedLabelsWarning(
  labelMaps: readonly (Uint16Array | undefined)[],
  classes: readonly ClassName[],
  namedBy: string,
): string | null {
  const seen = new Uint8Array(MAX_LABEL_ID + 1);
  for (const labels of labelMaps) if (labels) for (let p = 0; p < labels.length; p++) seen[labels[p]!] = 1;
  for (const c of classes) seen[c.id] = 0;
  const unnamed: number[] = [];
  for (let id = 1; id <= MAX_LABEL_ID; id++) if (seen[id]) unnamed.push(id);
  if (!unnamed.length) return null;
  const shown = unnamed.slice(0, 8).join(', ');
  return `label ids ${shown}${unnamed.length > 8 ? ', ...' : ''} have no name in ${namedBy}: their pixels are not scored`;
}
