/** Whether a path lies in a folder, for the places that follow symbolic links only inside one. */
import { isAbsolute, relative, sep } from 'node:path';

/** `path` is `folder` or lies under it. Both absolute and resolved (real paths, no `..`). */
export function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
