/**
 * `npm run discover` end to end on a small generated scene (a bench room of a seed used nowhere
 * else, 24 frames at 160x120): the command segments, trains and discovers in headless Chromium
 * with the default segmenter, and writes metrics.json with every key the issue names, one label
 * PNG per frame whose values the legend explains, previews, and the classes of every discovery
 * update (novel ids keep their names); the trained field saved (--save-field) gives the same
 * classes and scores when discovery runs on it again (--field). Bad input: one `error:` line, exit
 * status 2.
 *
 * Short training cannot show the quality figures (the README's table is measured on full runs);
 * this checks the pipeline and its outputs.
 */
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/scan-files.ts';

const FRAMES = 24;
// Cut on the field's depth at the first update, and again when training has doubled. Too short
// for the field's depth to be good (docs/discovery.md): this checks the path, not its quality.
const NO_DEPTH_STEPS = 200;

describe('npm run discover', () => {
  let scan: string;
  /** The first run's trained field (--save-field) and its metrics. */
  let field: string;
  let firstMetrics: Record<string, any>;
  beforeAll(async () => {
    scan = join(mkdtempSync(join(tmpdir(), 'neurncd-discover-scan-')), 'room');
    const gen = await runCli([
      'generate',
      '--out',
      scan,
      '--preset',
      'bench',
      '--seed',
      '4242',
      '--frames',
      String(FRAMES),
      '--width',
      '160',
      '--height',
      '120',
    ]);
    expect(gen.code, gen.stderr).toBe(0);
  }, 300_000);

  it('runs the pipeline and writes metrics, label maps with a legend, and previews', async () => {
    const out = mkdtempSync(join(tmpdir(), 'neurncd-discover-out-'));
    const run = await runCli([
      'discover',
      scan,
      '--out',
      out,
      '--steps',
      '160',
      '--discover-every',
      '40',
      // A run this short has no time to warm up by itself.
      '--warm-up-steps',
      '40',
      '--keyframes',
      '6',
      '--baselines',
      '--save-field',
      // A folder that does not exist yet is made, as --out's is.
      join(out, 'fields', 'field.ncdckpt'),
    ]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/segmenting 24\/24/);
    expect(run.stdout).toMatch(/mIoU/);

    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, any>;
    field = join(out, 'fields', 'field.ncdckpt');
    firstMetrics = m;
    // The trained field as a checkpoint: its magic, and a size that holds the hash grid.
    const checkpoint = readFileSync(field);
    expect(checkpoint.subarray(0, 8).toString('latin1')).toBe('NCDCKPT2');
    expect(checkpoint.byteLength).toBeGreaterThan(1 << 20);
    expect(run.stdout).toMatch(/wrote the trained field \(\d+\.\d MiB, step 160\)/);
    for (const key of [
      'frames',
      'steps',
      'seconds',
      'psnr',
      'classes',
      'novel_classes',
      'acc',
      'miou',
      'miou_known',
      'miou_novel',
      'per_class',
      'baselines',
    ]) {
      expect(m, key).toHaveProperty(key);
    }
    expect([m.frames, m.steps]).toEqual([FRAMES, 160]);
    expect(m.psnr).toBeGreaterThan(14);
    const shares = (m.classes as { pixel_share: number }[]).reduce((s, c) => s + c.pixel_share, 0);
    expect(shares).toBeCloseTo(1, 3);
    expect(m.novel_classes).toEqual(m.classes.filter((c: { known: boolean }) => !c.known).map((c: { name: string }) => c.name));
    expect(Object.keys(m.per_class).sort()).toEqual([
      'bed',
      'book',
      'ceiling',
      'chair',
      'floor',
      'furniture',
      'objects',
      'picture',
      'sofa',
      'table',
      'tv',
      'wall',
      'window',
    ]);
    for (const v of Object.values(m.per_class) as { iou: number | null }[])
      expect(v.iou === null || (v.iou >= 0 && v.iou <= 100)).toBe(true);
    // 160 steps leave the field's embedding close to uniform (everything still looks novel), so
    // the full pipeline's scores are only checked for range here; the segmenter alone is already
    // right on most pixels, and never predicts a novel class.
    for (const b of ['segmenter', 'per_frame', 'full']) expect(m.baselines[b].miou, b).toBeGreaterThanOrEqual(0);
    expect(m.baselines.full.miou).toBe(m.miou);
    expect(m.baselines.segmenter.acc).toBeGreaterThan(70);
    expect(m.baselines.segmenter.miou_novel).toBe(0);

    // Discovery ran every 40 steps and once at the end; a class id keeps its name throughout.
    expect(m.updates.map((u: { step: number }) => u.step)).toEqual([40, 80, 120, 160]);
    expect(m.warm_at_step).toBe(40);
    expect(m.presegmentation).toMatchObject({ depth: 'scan', keyframes: 6 });
    expect(m.known_classes).toHaveLength(9);
    expect([m.unknown_classes, m.absent_classes]).toEqual([[], []]);
    const names = new Map<number, string>();
    for (const u of m.updates) for (const c of u.classes) expect(names.set(c.id, names.get(c.id) ?? c.name).get(c.id)).toBe(c.name);

    // One label map per frame, at training resolution, every value in the legend.
    const legend = JSON.parse(readFileSync(join(out, 'labels', 'legend.json'), 'utf8')) as { classes: Record<string, { name: string }> };
    const pngs = readdirSync(join(out, 'labels')).filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBe(FRAMES);
    const seen = new Set<number>();
    for (const f of pngs.slice(0, 4)) {
      const img = decode(readFileSync(join(out, 'labels', f)));
      expect([img.width, img.height, img.depth, img.channels]).toEqual([160, 120, 16, 1]);
      for (const v of img.data) seen.add(v);
    }
    for (const v of seen) expect(v === 0 || String(v) in legend.classes, `label value ${v}`).toBe(true);
    expect(
      Object.values(legend.classes)
        .map((c) => c.name)
        .sort(),
    ).toEqual((m.classes as { name: string }[]).map((c) => c.name).sort());
    // Previews: RGB | ground truth | discovered, side by side.
    const previews = readdirSync(join(out, 'previews'));
    expect(previews.length).toBe(3);
    const preview = decode(readFileSync(join(out, 'previews', previews[0]!)));
    expect([preview.width, preview.height]).toEqual([480, 120]);
  }, 900_000);

  it('discovers again on a saved field without training it again, and refuses a field of other classes', async () => {
    expect(field, 'the first test saves the field').toBeDefined();
    const out = mkdtempSync(join(tmpdir(), 'neurncd-discover-field-out-'));
    const flags = ['--steps', '160', '--discover-every', '40', '--warm-up-steps', '40', '--keyframes', '6'];
    const run = await runCli(['discover', scan, '--out', out, ...flags, '--field', field]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/field from field\.ncdckpt at step 160; no more training/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, any>;
    // One discovery on the same field: the same classes (novel ones numbered afresh) and scores.
    expect(m.updates.map((u: { step: number }) => u.step)).toEqual([160]);
    expect(m.psnr).toBeCloseTo(firstMetrics.psnr, 4);
    const shares = (metrics: Record<string, any>): string[] =>
      (metrics.classes as { known: boolean; name: string; pixel_share: number }[])
        .map((c) => `${c.known ? c.name : 'novel'} ${c.pixel_share.toFixed(4)}`)
        .sort();
    expect(shares(m)).toEqual(shares(firstMetrics));
    expect([m.miou, m.miou_known, m.miou_novel, m.acc]).toEqual([
      firstMetrics.miou,
      firstMetrics.miou_known,
      firstMetrics.miou_novel,
      firstMetrics.acc,
    ]);

    // Trained with bed known; asked with bed unknown, the semantic head means other classes.
    const other = await runCli(['discover', scan, '--out', out, ...flags, '--field', field, '--unknown', 'bed']);
    expect(other.code).toBe(2);
    expect(other.stderr.trim()).toMatch(/^error: field\.ncdckpt: its field learnt 9 classes \(.*\), this run's are 8 \(.*\)/);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
  }, 900_000);

  it('discovers on a scan without depth, cutting segments on the depth the field renders, with a class the user calls unknown', async () => {
    const noDepth = join(mkdtempSync(join(tmpdir(), 'neurncd-discover-nodepth-')), 'room');
    cpSync(scan, noDepth, { recursive: true });
    rmSync(join(noDepth, 'depth'), { recursive: true });
    const out = mkdtempSync(join(tmpdir(), 'neurncd-discover-nodepth-out-'));
    const run = await runCli([
      'discover',
      noDepth,
      '--out',
      out,
      '--steps',
      String(NO_DEPTH_STEPS),
      '--warm-up-steps',
      String(NO_DEPTH_STEPS / 2),
      '--discover-every',
      String(NO_DEPTH_STEPS / 2),
      '--keyframes',
      '6',
      '--unknown',
      'bed',
    ]);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/without depth/);
    expect(run.stdout.match(/pre-segmenting 24\/24 \(rendered depth\)/g)).toHaveLength(2);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, any>;
    expect(m.unknown_classes).toEqual(['bed']);
    expect(m.known_classes).toHaveLength(8);
    expect(m.known_classes).not.toContain('bed');
    expect(m.updates.map((u: { step: number }) => u.step)).toEqual([NO_DEPTH_STEPS / 2, NO_DEPTH_STEPS]);
    expect(m.psnr).toBeGreaterThan(14);
    expect(m.presegmentation.depth).toBe('rendered');
    expect(m.presegmentation.coverage).toBeGreaterThanOrEqual(0);
    expect(m.presegmentation.coverage).toBeLessThanOrEqual(1);
    expect(readdirSync(join(out, 'labels')).filter((f) => f.endsWith('.png'))).toHaveLength(FRAMES);
    expect(m.per_class.bed).toBeDefined();
  }, 1_800_000);

  it('refuses bad input with one error line and exit status 2', async () => {
    const out = mkdtempSync(join(tmpdir(), 'neurncd-discover-bad-'));
    const missing = await runCli(['discover', join(out, 'nothing-here'), '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^error: .*nothing-here: does not exist$/);
    const notCheckpoint = await runCli(['discover', scan, '--out', out, '--field', join(out, 'no-field.ncdckpt')]);
    expect(notCheckpoint.code).toBe(2);
    expect(notCheckpoint.stderr.trim()).toMatch(/^error: --field '.*no-field\.ncdckpt' is not a checkpoint file/);
    const inFile = await runCli(['discover', scan, '--out', out, '--save-field', join(scan, 'traj_w_c.txt', 'f.ncdckpt')]);
    expect(inFile.code).toBe(2);
    expect(inFile.stderr.trim()).toMatch(
      /^error: --save-field '.*f\.ncdckpt': cannot make its folder .*traj_w_c\.txt: it is a file, not a folder$/,
    );
    const underFile = await runCli(['discover', scan, '--out', out, '--save-field', join(scan, 'traj_w_c.txt', 'sub', 'f.ncdckpt')]);
    expect(underFile.code).toBe(2);
    expect(underFile.stderr.trim()).toMatch(
      /^error: --save-field '.*f\.ncdckpt': cannot make its folder .*sub: a part of the path is a file, not a folder$/,
    );
    const noOut = await runCli(['discover', scan]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr.trim()).toMatch(/^error: --out OUT_DIR is required/);
    const algorithm = await runCli(['discover', scan, '--out', out, '--algorithm', 'kmeans']);
    expect(algorithm.code).toBe(2);
    expect(algorithm.stderr.trim()).toBe("error: discovery: algorithm must be 'mcl' or 'hdbscan', got kmeans");
    const segmenter = await runCli(['discover', scan, '--out', out, '--segmenter', 'no-such-model']);
    expect(segmenter.code).toBe(2);
    expect(segmenter.stderr.trim()).toMatch(
      /^error: --segmenter 'no-such-model' is neither a model-list name \(neurncd-synth-seg, deeplabv3-mnv2-ade20k, deeplabv3-mnv2-pascal, segformer-b0-ade20k\) nor an \.onnx file$/,
    );
    const notModel = await runCli(['discover', scan, '--out', out, '--segmenter', join(scan, 'traj_w_c.txt'), '--steps', '4']);
    expect(notModel.code).toBe(2);
    expect(notModel.stderr.trim()).toMatch(/^error: traj_w_c\.txt: /);
    expect(notModel.stderr.trim().split('\n').length).toBe(1);
    // The default model with feature statistics of another width than its feature output.
    const model = mkdtempSync(join(tmpdir(), 'neurncd-discover-stats-'));
    copyFileSync('public/models/neurncd-synth-seg/model.onnx', join(model, 'model.onnx'));
    const manifest = JSON.parse(readFileSync('public/models/neurncd-synth-seg/manifest.json', 'utf8'));
    manifest.featureStatistics = {
      mean: manifest.classes.map(() => [0, 0]),
      precision: [
        [1, 0],
        [0, 1],
      ],
      spread: manifest.classes.map(() => 1),
    };
    writeFileSync(join(model, 'manifest.json'), JSON.stringify(manifest));
    const stats = await runCli(['discover', scan, '--out', out, '--segmenter', join(model, 'model.onnx'), '--steps', '4']);
    expect(stats.code).toBe(2);
    expect(stats.stderr.trim()).toBe(
      "error: neurncd-synth-seg's manifest: featureStatistics are of 2 channels, but the model's 'features' output has 48",
    );
  }, 300_000);
});
