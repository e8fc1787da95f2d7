/**
 * A zip of a scan folder, in the page and on the command line, read lazily: opening it reads only
 * its central directory, and an entry is unpacked only when the loader reads it, so entries the
 * scan never uses cost nothing however big they claim to be. Every read is bounded
 * (input-limits.ts): the size the central directory declares is checked against the per-entry
 * limit and, with what this zip has unpacked before, the total limit; then the entry is inflated
 * as a stream into a buffer of the declared size, and stops at that size, so a header that
 * understates what follows is caught soon after that size rather than after gigabytes.
 */
import { Inflate } from 'fflate';
import { formatBytes, InputLimitError, ZIP_LIMITS, type ZipLimits } from './input-limits.ts';
import { ScanError } from './scan-error.ts';
import { rootedEntries, type ScanSource } from './scan-source.ts';
import { entryDataStart, readBytes, ZipFormatError, zipDirectory, type ZipEntry } from './zip-directory.ts';

const STORED = 0;
const DEFLATED = 8;
/** Compressed bytes read from the Blob at a time. */
const READ_SLICE = 4 * 2 ** 20;
/**
 * Compressed bytes handed to the inflater at a time: the first push, and the most. DEFLATE expands
 * at most ~1032-fold and a push is inflated whole before its output is checked, so pushes start
 * small (a small file whose header understates it is caught after at most ~4 MB of output) and
 * double to where pushes cost little on real data.
 */
const FIRST_PUSH = 4 * 2 ** 10;
const MAX_PUSH = 64 * 2 ** 10;

class ZipSource implements ScanSource {
  readonly paths: string[];
  private readonly entries: Map<string, ZipEntry>;
  /** Declared bytes of every entry read so far (each read counts: it is work done). */
  private unpacked = 0;

  constructor(
    readonly name: string,
    private readonly blob: Blob,
    entries: ZipEntry[],
    private readonly limits: ZipLimits,
  ) {
    ({ paths: this.paths, files: this.entries } = rootedEntries(
      entries.filter((e) => !e.name.endsWith('/')).map((e) => [e.name, e] as const),
    ));
  }

  async read(path: string): Promise<Uint8Array> {
    const entry = this.entries.get(path);
    if (!entry) throw new ScanError(path, 'file not found');
    const what = entry.name;
    if (entry.encrypted) throw new ScanError(this.name, `${what} is encrypted: unzip it with its password and load the folder`);
    if (entry.method !== STORED && entry.method !== DEFLATED) {
      throw new ScanError(this.name, `${what} uses compression method ${entry.method}; only stored and deflated entries can be read`);
    }
    if (entry.size > this.limits.entryBytes) {
      throw new InputLimitError(
        this.name,
        `${what} unpacks to ${formatBytes(entry.size)}, over the limit of ${formatBytes(this.limits.entryBytes)} for one file in a zip`,
      );
    }
    if (this.unpacked + entry.size > this.limits.totalBytes) {
      throw new InputLimitError(
        this.name,
        `${what} would take what is unpacked from this zip past ${formatBytes(this.limits.totalBytes)}, the limit for one zip`,
      );
    }
    this.unpacked += entry.size;
    const start = await entryDataStart(this.blob, entry);
    if (start === null) throw new ScanError(this.name, `${what} is damaged (no local header where the central directory points)`);
    const end = start + entry.compressedSize;
    if (end > this.blob.size) throw new ScanError(this.name, `${what} is cut short: the zip ends inside it`);
    if (entry.method === STORED) {
      if (entry.compressedSize !== entry.size) {
        throw new ScanError(this.name, `${what} is damaged: stored uncompressed, but its two sizes differ`);
      }
      return readBytes(this.blob, start, end);
    }
    return this.inflate(entry, start, end);
  }

  private async inflate(entry: ZipEntry, start: number, end: number): Promise<Uint8Array> {
    const what = entry.name;
    const out = new Uint8Array(entry.size);
    let written = 0;
    const inflater = new Inflate((chunk) => {
      if (written + chunk.length > out.length) {
        throw new InputLimitError(
          this.name,
          `${what} inflates past the ${formatBytes(entry.size)} its header declares: the zip is damaged or forged`,
        );
      }
      out.set(chunk, written);
      written += chunk.length;
    });
    try {
      if (start === end) inflater.push(new Uint8Array(0), true);
      let push = FIRST_PUSH;
      for (let at = start; at < end;) {
        const slice = await readBytes(this.blob, at, Math.min(end, at + READ_SLICE));
        for (let p = 0; p < slice.length; push = Math.min(2 * push, MAX_PUSH)) {
          const piece = slice.subarray(p, p + push);
          p += piece.length;
          inflater.push(piece, at + p >= end);
        }
        at += slice.length;
      }
    } catch (e) {
      if (e instanceof ScanError) throw e;
      throw new ScanError(this.name, `${what} cannot be unpacked (${e instanceof Error ? e.message : String(e)})`);
    }
    if (written !== entry.size) {
      throw new ScanError(
        this.name,
        `${what} inflates to ${formatBytes(written)}, not the ${formatBytes(entry.size)} its header declares: the zip is damaged`,
      );
    }
    return out;
  }
}

/**
 * Opens a zip of a scan folder: the page's dropped File, or in Node a file-backed Blob
 * (fs.openAsBlob), read in slices either way.
 */
export async function zipSource(name: string, blob: Blob, limits: ZipLimits = ZIP_LIMITS): Promise<ScanSource> {
  const magic = await readBytes(blob, 0, 2);
  if (blob.size < 22 || magic[0] !== 0x50 || magic[1] !== 0x4b) {
    throw new ScanError(name, 'is not a zip file (it does not start with the zip signature "PK")');
  }
  try {
    return new ZipSource(name, blob, await zipDirectory(blob), limits);
  } catch (e) {
    if (!(e instanceof ZipFormatError)) throw e;
    throw new ScanError(name, `is not a readable zip file (${e.message})`);
  }
}
