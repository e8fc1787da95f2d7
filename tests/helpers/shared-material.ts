/**
 * The real models and scans the tests read from `../shared/` beside the repository (never copied
 * into it). CI clones the repository into a folder of its own, so the path is taken from the
 * repository root, not written out. Where the material is not there, the tests that need it are
 * skipped with a line that names the missing file, instead of failing on an ENOENT deep inside.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_ROOT = resolve(REPOSITORY_ROOT, '..', 'shared');

/** A file or folder under ../shared/ (`relative` as in `models/deeplabv3-mnv2-pascal/model.onnx`). */
export function sharedPath(relative: string): string {
  return join(SHARED_ROOT, relative);
}

/**
 * Whether `relative` is under ../shared/; when it is not, says so once on stderr so that a skipped
 * test is never silent.
 */
export function hasShared(relative: string): boolean {
  const path = sharedPath(relative);
  if (existsSync(path)) return true;
  process.stderr.write(`[shared] ${path} is missing (../shared/ beside the repository): the tests that read it are skipped\n`);
  return false;
}
