/**
 * A scan folder as a set of files, wherever it comes from: a folder on disk (Node), files the user
 * dropped or picked (browser), a zip (zip-source.ts), or bytes made in memory (the built-in demo).
 * Paths use '/' and are relative to the scan's root folder.
 */
import { ScanError } from './scan-error.ts';

export interface ScanSource {
  /** The folder or zip name, for messages. */
  readonly name: string;
  /** Every file path, relative to the scan root. */
  readonly paths: readonly string[];
  read(path: string): Promise<Uint8Array>;
}

/** '/' separators, no leading './' or '/'. */
const normalised = (path: string): string => path.replace(/\\/g, '/').replace(/^\.?\//, '');

/**
 * When every path sits under one folder (a zip of the folder, a dropped folder), that folder is the
 * root. System clutter (.DS_Store, __MACOSX) is ignored.
 */
export function rootedPaths(paths: readonly string[]): { prefix: string; paths: string[] } {
  const clean = paths
    .map(normalised)
    .filter((p) => p && !p.endsWith('/') && !p.startsWith('__MACOSX/') && !/(^|\/)\.DS_Store$|(^|\/)Thumbs\.db$/.test(p));
  let prefix = '';
  for (;;) {
    const first = clean[0]?.slice(prefix.length).split('/');
    if (!first || first.length < 2) break;
    const candidate = `${prefix}${first[0]}/`;
    if (!clean.every((p) => p.startsWith(candidate))) break;
    prefix = candidate;
  }
  return { prefix, paths: clean.map((p) => p.slice(prefix.length)) };
}

/** Whatever holds each file, keyed by its path relative to the scan root, and the paths a scan may use. */
export function rootedEntries<T>(entries: Iterable<readonly [string, T]>): { paths: string[]; files: Map<string, T> } {
  const list = [...entries];
  const { prefix, paths } = rootedPaths(list.map(([p]) => p));
  const files = new Map<string, T>();
  for (const [p, file] of list) files.set(normalised(p).slice(prefix.length), file);
  return { paths, files };
}

export class MemorySource implements ScanSource {
  readonly paths: string[];
  private readonly files: Map<string, Uint8Array>;

  constructor(
    readonly name: string,
    entries: Iterable<[string, Uint8Array]>,
  ) {
    ({ paths: this.paths, files: this.files } = rootedEntries(entries));
  }

  async read(path: string): Promise<Uint8Array> {
    const bytes = this.files.get(path);
    if (!bytes) throw new ScanError(path, 'file not found');
    return bytes;
  }
}

/** Files the browser handed over (drop, folder picker), keyed by their relative path. */
export class BlobSource implements ScanSource {
  readonly paths: string[];
  private readonly files: Map<string, Blob>;

  constructor(
    readonly name: string,
    entries: { path: string; blob: Blob }[],
  ) {
    ({ paths: this.paths, files: this.files } = rootedEntries(entries.map((e) => [e.path, e.blob] as const)));
  }

  async read(path: string): Promise<Uint8Array> {
    const blob = this.files.get(path);
    if (!blob) throw new ScanError(path, 'file not found');
    return new Uint8Array(await blob.arrayBuffer());
  }
}
