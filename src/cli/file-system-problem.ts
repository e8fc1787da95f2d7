/**
 * Node's file-system errors in the words of an `error:` line: the path, then what is wrong with
 * it. Node's own message ("EACCES: permission denied, scandir '/x'") leads with the code and the
 * system call, and left uncaught it ends a command in a stack trace.
 */
import type { Stats } from 'node:fs';

const PROBLEMS: Record<string, string> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'is a loop of symbolic links',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'is on a read-only file system',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many files open',
};

/** An error from a call on a path (fs, not a socket): Node sets `syscall` and `path` on those. */
export function isFileSystemError(e: unknown): e is NodeJS.ErrnoException & { code: string; path: string } {
  const err = e as NodeJS.ErrnoException | null;
  return err instanceof Error && typeof err.code === 'string' && typeof err.syscall === 'string' && typeof err.path === 'string';
}

/** "permission denied", or the bare code where it has no words here. */
export function fileSystemProblem(code: string): string {
  return PROBLEMS[code] ?? `cannot be used (${code})`;
}

/** What a path that is neither a regular file nor a folder is, for "is not a regular file or folder (a FIFO)". */
export function specialFileKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'neither';
}
