/** Scan folders and zips on disk, for the headless commands. */
import { openAsBlob } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { ScanError } from '../scan/scan-error.ts';
import { rootedPaths, type ScanSource } from '../scan/scan-source.ts';
import { zipSource } from '../scan/zip-source.ts';

export class DirectorySource implements ScanSource {
  constructor(
    readonly name: string,
    /** The folder the paths are relative to (the scan root inside the folder given). */
    readonly root: string,
    readonly paths: string[],
  ) {}

  async read(path: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(join(this.root, ...path.split('/'))));
    } catch (e) {
      throw new ScanError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
}

async function walk(dir: string, root: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, root, out);
    else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
  }
}

/** A folder, or a .zip of one (read in slices from the file, as the page reads a dropped one). */
export async function openScanPath(path: string): Promise<ScanSource> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new ScanError(path, 'does not exist');
  if (info.isFile()) return zipSource(basename(path), await openAsBlob(path));
  const files: string[] = [];
  await walk(path, path, files);
  const { prefix, paths } = rootedPaths(files);
  return new DirectorySource(basename(path), join(path, ...prefix.split('/').filter(Boolean)), paths);
}
