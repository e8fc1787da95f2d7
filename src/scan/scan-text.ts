/** Reading the small text and JSON files of scan formats, with errors that name the file. */
import { ScanError } from './scan-error.ts';
import type { ScanSource } from './scan-source.ts';

export async function readText(source: ScanSource, path: string): Promise<string> {
  const bytes = await source.read(path);
  return new TextDecoder('utf-8').decode(bytes);
}

export async function readJson(source: ScanSource, path: string): Promise<Record<string, unknown>> {
  const text = await readText(source, path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ScanError(path, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ScanError(path, 'should hold a JSON object');
  return value as Record<string, unknown>;
}

/** All numbers of a whitespace/comma separated text; a word that is not a number is an error. */
export function parseNumbers(text: string, path: string): number[] {
  const words = text
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  return words.map((w, i) => {
    // ScanNet writes "-inf" for frames whose pose failed: keep it, pose validation reports it.
    const v = /^[-+]?inf(inity)?$/i.test(w) ? (w.startsWith('-') ? -Infinity : Infinity) : /^[-+]?nan$/i.test(w) ? NaN : Number(w);
    if (Number.isNaN(v) && !/nan/i.test(w)) throw new ScanError(path, `word ${i + 1} ('${w.slice(0, 20)}') is not a number`);
    return v;
  });
}

/** A matrix of `rows` x `cols` numbers from a text file (extra rows, like a 4x4's last, allowed). */
export function parseMatrix(text: string, path: string, rows: number, cols: number): number[] {
  const values = parseNumbers(text, path);
  if (values.length < rows * cols) throw new ScanError(path, `should hold a ${rows}x${cols} matrix, found ${values.length} numbers`);
  return values.slice(0, rows * cols);
}

/** A required number in a JSON object. */
export function jsonNumber(obj: Record<string, unknown>, key: string, path: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ScanError(
      path,
      v === undefined ? `is missing the key "${key}"` : `"${key}" should be a finite number, found ${JSON.stringify(v)}`,
    );
  }
  return v;
}

export function optionalNumber(obj: Record<string, unknown>, key: string, path: string): number | undefined {
  return obj[key] === undefined ? undefined : jsonNumber(obj, key, path);
}
