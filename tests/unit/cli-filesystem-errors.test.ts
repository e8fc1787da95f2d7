/**
 * File-system trouble on the command line: a path that is a FIFO or a device, a loop of symbolic
 * links, a folder the user may not read, a link out of the scan folder. Each is one `error:` line
 * naming the path and the problem, exit status 2, never a stack trace. Links that stay inside the
 * scan folder are followed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFixture, toNerfstudio, writeFiles } from '../helpers/scan-fixtures.ts';
import { runCli } from '../helpers/scan-files.ts';

const scan = toNerfstudio(makeFixture(4, 32, 24, 5));
const scratch = mkdtempSync(join(tmpdir(), 'neurncd-fs-errors-'));

async function expectOneError(args: string[], message: string, as?: { uid: number; gid: number }): Promise<void> {
  const r = await runCli(args, { as });
  expect(r.stderr).toBe(`error: ${message}\n`);
  expect(r.code).toBe(2);
}

/**
 * Someone the permission bits apply to. Root reads a chmod 000 folder anyway, so as root the
 * command runs as `nobody`; null where there is no such user.
 */
function unprivileged(): { uid: number; gid: number } | undefined | null {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

describe('the scan path itself', () => {
  it('a FIFO is refused, not read', async () => {
    const fifo = join(scratch, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    await expectOneError(['inspect-scan', fifo], `${fifo}: is not a regular file or folder (a FIFO)`);
  });

  it('a device such as /dev/zero is refused, not read', async () => {
    await expectOneError(['inspect-scan', '/dev/zero'], '/dev/zero: is not a regular file or folder (a character device)');
  });

  it('a loop of symbolic links is said to be one (not "does not exist")', async () => {
    const a = join(scratch, 'loop-a');
    symlinkSync(join(scratch, 'loop-b'), a);
    symlinkSync(a, join(scratch, 'loop-b'));
    await expectOneError(['inspect-scan', a], `${a}: is a loop of symbolic links`);
  });

  it('a path through a file names the path', async () => {
    const dir = writeFiles(scan);
    const path = join(dir, 'transforms.json', 'scan');
    await expectOneError(['inspect-scan', path], `${path}: a part of the path is a file, not a folder`);
  });
});

describe('inside a scan folder', () => {
  const locked: string[] = [];
  afterAll(() => locked.forEach((d) => chmodSync(d, 0o755)));

  const user = unprivileged();
  it.runIf(user !== null)('a subfolder the user may not read is named, as permission denied', async () => {
    const dir = writeFiles(scan);
    chmodSync(dir, 0o755); // mkdtemp makes it 0700: `nobody` must reach the folder inside
    const rgb = join(dir, 'rgb');
    chmodSync(rgb, 0o000);
    locked.push(rgb);
    if (user) console.log(`[cli-filesystem-errors] running as root: the command runs as nobody (uid ${user.uid}) for the permission check`);
    await expectOneError(['inspect-scan', dir], `${rgb}: permission denied`, user ?? undefined);
  });
  if (user === null) console.log('[cli-filesystem-errors] skipped the permission check: running as root and there is no user `nobody`');

  it('an image linked from inside the scan folder is followed', async () => {
    const dir = writeFiles(scan);
    renameSync(join(dir, 'rgb', 'rgb_1.png'), join(dir, 'frame-store.png'));
    symlinkSync('../frame-store.png', join(dir, 'rgb', 'rgb_1.png'));
    const r = await runCli(['inspect-scan', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ frames: 4, warnings: [] });
  });

  it('an image linked from outside is refused, naming the link, by every command that reads a scan', async () => {
    const dir = writeFiles(scan);
    const outside = join(scratch, 'outside.png');
    writeFileSync(outside, scan.get('rgb/rgb_1.png')!);
    const link = join(dir, 'rgb', 'rgb_1.png');
    renameSync(link, join(dir, 'rgb-1-original.png'));
    symlinkSync(outside, link);
    const message = `${link}: is a symbolic link to ${realpathSync(outside)}, outside the scan folder (links are followed only inside it)`;
    await expectOneError(['inspect-scan', dir], message);
    // discover and bench check the folder in Node before they build and serve the page.
    await expectOneError(['discover', dir, '--out', join(scratch, 'discover-out')], message);
    await expectOneError(['bench', '--scan', dir, '--json', join(scratch, 'bench.json')], message);
  });

  it('a link to a folder that holds it is a loop, named', async () => {
    const dir = writeFiles(scan);
    const link = join(dir, 'rgb', 'up');
    symlinkSync('..', link);
    await expectOneError(['inspect-scan', dir], `${link}: is a symbolic link to ${realpathSync(dir)}, a folder that holds it (a loop)`);
  });

  it('a FIFO among the files is refused, named', async () => {
    const dir = writeFiles(scan);
    const fifo = join(dir, 'depth', 'depth_9.png');
    execFileSync('mkfifo', [fifo]);
    await expectOneError(['inspect-scan', dir], `${fifo}: is not a regular file or folder (a FIFO)`);
  });
});

describe('writing results', () => {
  it('an output path through a file is one error line, not a stack trace', async () => {
    const out = join('/dev/zero', 'generated');
    await expectOneError(
      ['generate', '--out', out, '--preset', 'tiny', '--frames', '2'],
      `${out}: a part of the path is a file, not a folder`,
    );
  });
});
