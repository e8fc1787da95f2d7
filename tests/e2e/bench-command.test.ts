/**
 * `npm run bench` end to end on the tiny scene: the command builds and serves the page, trains in
 * headless Chromium and writes every figure the issue names, with values that make sense; bad
 * options give one `error:` line and exit status 2.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/scan-files.ts';

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
  });
});
