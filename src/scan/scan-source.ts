/**
 * A scan folder as a set of files, wherever it comes from: a folder on disk (Node), files the user
 * dropped or picked (browser), a zip, or bytes made in memory (the built-in demo). Paths use '/'
 * and are relative to the scan's root folder.
 */
import { unzipSync } from 'fflate';
import { ScanError } from './scan-error.ts';

export interface ScanSource {
  /** The folder or zip name, for messages. */
  readonly name: string;
  /** Every file path, relative to the scan root. */
  readonly paths: readonly string[];
  read(path: string): Promise<Uint8Array>;
}

/**
 * When every path sits under one folder (a zip of the folder, a dropped folder), that folder is the
 * root. System clutter (.DS_Store, __MACOSX) is ignored.
 */
export function rootedPaths(paths: readonly string[]): { prefix: string; paths: string[] } {
  const clean = paths
    .map((p) => p.replace(/\\/g, '/').replace(/^\.?\//, ''))
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

export class MemorySource implements ScanSource {
  readonly paths: string[];
  private readonly files = new Map<string, Uint8Array>();

  constructor(
    readonly name: string,
    entries: Iterable<[string, Uint8Array]>,
  ) {
    const list = [...entries];
    const { prefix, paths } = rootedPaths(list.map(([p]) => p));
    for (const [p, bytes] of list)
      this.files.set(
        p
          .replace(/\\/g, '/')
          .replace(/^\.?\//, '')
          .slice(prefix.length),
        bytes,
      );
    this.paths = paths;
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
  private readonly files = new Map<string, Blob>();

  constructor(
    readonly name: string,
    entries: { path: string; blob: Blob }[],
  ) {
    const { prefix, paths } = rootedPaths(entries.map((e) => e.path));
    for (const e of entries)
      this.files.set(
        e.path
          .replace(/\\/g, '/')
          .replace(/^\.?\//, '')
          .slice(prefix.length),
        e.blob,
      );
    this.paths = paths;
  }

  async read(path: string): Promise<Uint8Array> {
    const blob = this.files.get(path);
    if (!blob) throw new ScanError(path, 'file not found');
    return new Uint8Array(await blob.arrayBuffer());
  }
}

const ZIP_MAGIC = [0x50, 0x4b];

/** A zip of a scan folder. Unpacked whole: scans at training size fit in memory. */
export function zipSource(name: string, bytes: Uint8Array): MemorySource {
  if (bytes.length < 22 || bytes[0] !== ZIP_MAGIC[0] || bytes[1] !== ZIP_MAGIC[1]) {
    throw new ScanError(name, 'is not a zip file (it does not start with the zip signature "PK")');
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new ScanError(name, `is not a readable zip file (${e instanceof Error ? e.message : String(e)})`);
  }
  return new MemorySource(
    name,
    Object.entries(files).filter(([p]) => !p.endsWith('/')),
  );
}
