/**
 * Reads generated scan files for tests, with the test's own parsing (independent of src/scan):
 * PNGs through fast-png, poses as written in traj_w_c.txt and transforms.json.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { decode } from 'fast-png';

export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  depth: number;
  data: Uint8Array | Uint16Array;
}

export function decodePng(bytes: Uint8Array): DecodedImage {
  const img = decode(bytes);
  return { width: img.width, height: img.height, channels: img.channels, depth: img.depth, data: img.data as Uint8Array | Uint16Array };
}

/** Rows of 16 numbers: row-major 4x4 camera-to-world matrices. */
export function parseTrajectory(text: string): number[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
}

const exec = promisify(execFile);

/** Runs `npm run generate` (through the same entry the npm script uses) into a new temp folder. */
export async function runGenerate(args: string[]): Promise<{ dir: string; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'neurncd-gen-'));
  const { stdout, stderr } = await exec(process.execPath, ['tools/cli.mjs', 'generate', '--out', dir, ...args], { maxBuffer: 1 << 24 });
  return { dir, stdout, stderr };
}

/**
 * `as`: run as another user (the tests must run as root to switch), for permission checks;
 * `nodeArgs`: options for Node itself (before the script).
 */
export async function runCli(
  args: string[],
  options: { as?: { uid: number; gid: number }; nodeArgs?: string[] } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [...(options.nodeArgs ?? []), 'tools/cli.mjs', ...args], { ...options.as });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Makes Node print its peak resident memory (getrusage's ru_maxrss, KiB) as the last stderr line on exit. */
const REPORT_PEAK_RSS = `--import=data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => process.stderr.write('peak-rss-kib ' + process.resourceUsage().maxRSS + '\\n'))",
)}`;

/** runCli, with the command's peak resident memory in bytes (its stderr without that report). */
export async function runCliPeakMemory(args: string[]): Promise<{ code: number; stdout: string; stderr: string; peakRssBytes: number }> {
  const run = await runCli(args, { nodeArgs: [REPORT_PEAK_RSS] });
  const match = /peak-rss-kib (\d+)\n$/.exec(run.stderr);
  if (!match) throw new Error(`no peak memory report in: ${run.stderr}`);
  return { ...run, stderr: run.stderr.slice(0, match.index), peakRssBytes: Number(match[1]) * 1024 };
}

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

export function readBytes(dir: string, path: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, path)));
}
