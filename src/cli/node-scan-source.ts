/**
 * Scan folders and zips on disk, for the headless commands (a zip read in slices from the file,
 * as the page reads a dropped one). Symbolic links inside a scan folder
 * are followed only where they stay inside it: `discover` and `bench` serve the folder to the page,
 * and the static server refuses the links that lead out (a link must not expose any file the user
 * can read), so the listing refuses them first, naming the link.
 */
import { openAsBlob, type Stats } from 'node:fs';
import { readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ScanError } from '../scan/scan-error.ts';
import { rootedPaths, type ScanSource } from '../scan/scan-source.ts';
import { zipSource } from '../scan/zip-source.ts';
import { fileSystemProblem, isFileSystemError, specialFileKind } from './file-system-problem.ts';
import { isInside } from './inside-folder.ts';

/** A file-system error on `path` (as the user gave it, joined with the path inside the scan) as a ScanError; others pass. */
function onDisk(path: string, e: unknown): unknown {
  return isFileSystemError(e) ? new ScanError(path, fileSystemProblem(e.code)) : e;
}

async function attempt<T>(path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (e) {
    throw onDisk(path, e);
  }
}

const notRegular = (path: string, info: Stats): ScanError =>
  new ScanError(path, `is not a regular file or folder (${specialFileKind(info)})`);

export class DirectorySource implements ScanSource {
  constructor(
    readonly name: string,
    /** The folder the paths are relative to (the scan root inside the folder given). */
    readonly root: string,
    readonly paths: string[],
  ) {}

  async read(path: string): Promise<Uint8Array> {
    const file = join(this.root, ...path.split('/'));
    return new Uint8Array(await attempt(file, () => readFile(file)));
  }
}

/** Where a listing is: the path as the user will read it, and its real path. */
interface Place {
  path: string;
  real: string;
}

/**
 * The regular files under `dir` (paths relative to the scan folder), following symbolic links
 * whose real path is inside `realRoot`. `ancestors`: the real folders from the root down to `dir`,
 * so a link back up to one of them is a loop, not an endless listing.
 */
async function walk(dir: Place, relative: string, realRoot: string, ancestors: string[], out: string[]): Promise<void> {
  const entries = await attempt(dir.path, () => readdir(dir.path, { withFileTypes: true }));
  for (const entry of entries) {
    const path = join(dir.path, entry.name);
    const inScan = relative ? `${relative}/${entry.name}` : entry.name;
    let real = join(dir.real, entry.name);
    let info: Stats | null = null;
    if (entry.isSymbolicLink()) {
      real = await realpath(path).catch(async (e: unknown) => {
        if (isFileSystemError(e) && e.code === 'ENOENT') {
          throw new ScanError(path, `is a broken symbolic link (to ${await readlink(path)}, which does not exist)`);
        }
        throw onDisk(path, e);
      });
      if (!isInside(realRoot, real)) {
        throw new ScanError(path, `is a symbolic link to ${real}, outside the scan folder (links are followed only inside it)`);
      }
      info = await attempt(path, () => stat(real));
      if (info.isDirectory() && ancestors.includes(real)) {
        throw new ScanError(path, `is a symbolic link to ${real}, a folder that holds it (a loop)`);
      }
    }
    if (info ? info.isDirectory() : entry.isDirectory()) await walk({ path, real }, inScan, realRoot, [...ancestors, real], out);
    else if (info ? info.isFile() : entry.isFile()) out.push(inScan);
    else throw notRegular(path, info ?? (await attempt(path, () => stat(path))));
  }
}

/** A folder, or a .zip of one (read in slices from the file, as the page reads a dropped one). */
export async function openScanPath(path: string): Promise<ScanSource> {
  const info = await attempt(path, () => stat(path));
  if (info.isFile()) return zipSource(basename(path), await attempt(path, () => openAsBlob(path)));
  if (!info.isDirectory()) throw notRegular(path, info);
  const realRoot = await attempt(path, () => realpath(path));
  const files: string[] = [];
  await walk({ path, real: realRoot }, '', realRoot, [realRoot], files);
  const { prefix, paths } = rootedPaths(files);
  return new DirectorySource(basename(path), join(path, ...prefix.split('/').filter(Boolean)), paths);
}
