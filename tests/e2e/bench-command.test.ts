/**
 * `npm run bench` end to end on the tiny scene and on a scan folder: the command builds and serves
 * the page, trains in headless Chromium and writes every figure the issue names, with values that
 * make sense; bad options give one `error:` line and exit status 2.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/scan-files.ts';
import { makeFixture, toNerfstudio, writeFiles } from '../helpers/scan-fixtures.ts';

const KEYS = [
  'adapter',
  'software_adapter',
  'peak_gflops',
  'train_samples_per_s',
  'train_rays_per_s',
  'ms_per_step',
  'kernel_ms',
  'mlp_gflops',
  'mlp_fraction_of_peak',
  'psnr',
  'ssim',
  'seconds_to_psnr_20',
  'seconds_to_psnr_25',
];

describe('npm run bench', () => {
  it('writes the benchmark figures for a short run on the tiny scene', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'neurncd-bench-')), 'bench.json');
    const run = await runCli(['bench', '--preset', 'tiny', '--seconds', '4', '--eval-every', '2', '--json', out]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/held-out PSNR/);
    const r = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    for (const key of KEYS) expect(r, key).toHaveProperty(key);
    const adapter = r.adapter as Record<string, string>;
    expect(typeof adapter.vendor).toBe('string');
    expect(typeof r.software_adapter).toBe('boolean');
    const peak = r.peak_gflops as number;
    const mlp = r.mlp_gflops as number;
    expect(peak).toBeGreaterThan(0.5);
    expect(mlp).toBeGreaterThan(0.05);
    expect(r.mlp_fraction_of_peak).toBeCloseTo(mlp / peak, 6);
    expect(r.mlp_fraction_of_peak as number).toBeLessThan(1);
    // Throughput figures agree with one another: a step processes the batch's sample capacity and
    // at most its ray limit.
    const settings = r.settings as { sampler: { rays: number; capacity: number } };
    expect((r.train_samples_per_s as number) * (r.ms_per_step as number)).toBeCloseTo(settings.sampler.capacity * 1000, -2);
    expect((r.train_rays_per_s as number) * (r.ms_per_step as number)).toBeLessThanOrEqual(settings.sampler.rays * 1000 * 1.001);
    expect(r.train_rays_per_s as number).toBeGreaterThan(0);
    const stages = r.kernel_ms as Record<string, number>;
    for (const stage of [
      'sample rays',
      'hash grid forward',
      'mlp forward',
      'mlp backward',
      'hash grid backward',
      'volume render',
      'adam',
    ]) {
      expect(stages[stage], stage).toBeGreaterThan(0);
    }
    // A few steps on a tiny scene: a real image, not noise, and the thresholds are either reached or null.
    expect(r.psnr as number).toBeGreaterThan(10);
    for (const key of ['seconds_to_psnr_20', 'seconds_to_psnr_25']) {
      const v = r[key];
      expect(v === null || (typeof v === 'number' && v > 0)).toBe(true);
    }
  }, 300_000);

  it('trains on a scan folder, holding out every n-th frame from the first, and scores those frames whole', async () => {
    // A nerfstudio capture of 7 frames of 128x96: held out every 3rd from the first, frames 0, 3, 6.
    const dir = writeFiles(toNerfstudio(makeFixture(7, 128, 96, 8)));
    const out = join(mkdtempSync(join(tmpdir(), 'neurncd-bench-')), 'bench.json');
    const run = await runCli(['bench', '--scan', dir, '--holdout', '3', '--seconds', '4', '--eval-every', '2', '--json', out]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/7 frames, 3 held out \(1 in 3, from the first\)/);
    const r = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    for (const key of KEYS) expect(r, key).toHaveProperty(key);
    expect(r.scan).toBe(basename(dir));
    expect(r.preset).toBeNull();
    expect(r.holdout).toBe(3);
    expect(r.frames).toEqual({ train: 4, test: 3, width: 128, height: 96 });
    // Every pixel of the three held-out frames is scored, none left out.
    expect(r.psnr_pixels).toBe(3 * 128 * 96);
    expect(r.psnr as number).toBeGreaterThan(10);
    expect(r.ssim as number).toBeGreaterThan(0);
    expect(r.ssim as number).toBeLessThan(1);
    const curve = r.psnr_curve as [number, number][];
    // At least the final scoring (a loaded machine may train the 4 s in one slice of steps).
    expect(curve.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < curve.length; i++) expect(curve[i]![0]).toBeGreaterThan(curve[i - 1]![0]);
    expect((r.ssim_curve as [number, number][]).map(([t]) => t)).toEqual(curve.map(([t]) => t));
    expect(curve.at(-1)![1]).toBeCloseTo(r.psnr as number, 6);
  }, 300_000);

  it('refuses bad options with one error line and exit status 2', async () => {
    const unknown = await runCli(['bench', '--preset', 'huge', '--json', '/tmp/x.json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe("error: unknown preset 'huge' (tiny, demo, bench)");
    const noOut = await runCli(['bench', '--preset', 'tiny']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr.trim()).toBe('error: --json OUT.json is required');
    const seconds = await runCli(['bench', '--seconds', '0', '--json', '/tmp/x.json']);
    expect(seconds.code).toBe(2);
    expect(seconds.stderr.trim()).toMatch(/^error: --seconds must be a whole number from 1 to 86400, got '0'$/);
    const both = await runCli(['bench', '--scan', '/tmp', '--preset', 'tiny', '--json', '/tmp/x.json']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('error: --scan trains on that scan: --preset and --seed are for generated scenes');
    const missing = join(tmpdir(), 'neurncd-no-such-scan');
    const absent = await runCli(['bench', '--scan', missing, '--json', '/tmp/x.json']);
    expect(absent.code).toBe(2);
    expect(absent.stderr.trim().split('\n')).toHaveLength(1);
    expect(absent.stderr).toContain(missing);
    const command = await runCli(['help']);
    expect(command.code).toBe(2);
    expect(command.stderr.trim()).toBe("error: unknown command 'help'; commands: bench, discover, generate, inspect-scan, serve");
    const holdout = await runCli(['bench', '--holdout', '1', '--json', '/tmp/x.json']);
    expect(holdout.code).toBe(2);
    expect(holdout.stderr.trim()).toMatch(/^error: --holdout must be a whole number from 2 to 1000, got '1'$/);
  });
});
