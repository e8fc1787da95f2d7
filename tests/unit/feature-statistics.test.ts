/**
 * The segmenter's feature statistics: distances against a hand count, strict parsing of the
 * manifest field, and the shipped statistics of the default model run on a room it was never
 * trained on (onnxruntime-web, wasm, in Node): walls lie within their class's spread, windows and
 * pictures (which the model calls wall) far outside it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { segmentAppearance } from '../../src/discover/segment-appearance.ts';
import { classDistances, type FeatureStatistics } from '../../src/segment/feature-statistics.ts';
import { outputToMap } from '../../src/segment/logits-tensor.ts';
import { preprocess } from '../../src/segment/preprocess.ts';
import { ManifestError, parseManifest } from '../../src/segment/segmenter-manifest.ts';
import { NYU13_CLASSES } from '../../src/synth/nyu13-classes.ts';
import { decodePng, runGenerate } from '../helpers/scan-files.ts';

const MODEL_DIR = 'public/models/neurncd-synth-seg';
const shipped = JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8')) as Record<string, unknown>;

const rows = (...r: number[][]) => ({ count: r.length, dims: r[0]!.length, data: Float32Array.from(r.flat()) });

describe('class distances', () => {
  // Two classes in 2-D: precision diag(1, 4) (variances 1 and 1/4), spreads 1 and 2.
  const stats: FeatureStatistics = {
    classes: 2,
    dims: 2,
    mean: Float32Array.from([0, 0, 3, 4]),
    precision: Float32Array.from([1, 0, 0, 4]),
    spread: Float32Array.from([1, 2]),
  };

  it('are Mahalanobis distances in units of each class spread', () => {
    const d = classDistances(stats, rows([0, 0], [3, 4], [1, 1]));
    // (0,0): to class 1 sqrt(9 + 4*16) = sqrt(73), over spread 2.
    // (3,4): to class 0 sqrt(9 + 64) = sqrt(73). (1,1): sqrt(1 + 4) = sqrt(5); to class 1 sqrt(4 + 36) / 2.
    const expected = [0, Math.sqrt(73) / 2, Math.sqrt(73), 0, Math.sqrt(5), Math.sqrt(40) / 2];
    expect(d.dims).toBe(2);
    [...d.data].forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('refuse features of another width', () => {
    expect(() => classDistances(stats, rows([1, 2, 3]))).toThrow(/2 channels, the features have 3/);
  });
});

describe('featureStatistics in a manifest', () => {
  const withStats = (stats: unknown, extra: Record<string, unknown> = {}) => ({ ...shipped, featureStatistics: stats, ...extra });
  const good = {
    mean: Array.from({ length: 9 }, () => [0, 0]),
    precision: [
      [2, 0.5],
      [0.5, 1],
    ],
    spread: Array(9).fill(1),
  };

  it('parse: one row of means per class, a symmetric inverse covariance, a spread per class', () => {
    const m = parseManifest(withStats(good));
    expect(m.featureStatistics).toMatchObject({ classes: 9, dims: 2 });
    expect([...m.featureStatistics!.precision]).toEqual([2, 0.5, 0.5, 1]);
  });

  it.each([
    [{ ...good, mean: good.mean.slice(1) }, 'featureStatistics.mean', /array of 9 rows, got 8/],
    [
      {
        ...good,
        precision: [
          [2, 0.5],
          [0.4, 1],
        ],
      },
      'featureStatistics.precision',
      /symmetric/,
    ],
    [
      {
        ...good,
        precision: [
          [0, 0],
          [0, 1],
        ],
      },
      'featureStatistics.precision[0][0]',
      /positive/,
    ],
    [
      {
        ...good,
        precision: [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      },
      'featureStatistics.precision',
      /array of 2 rows, got 3/,
    ],
    [{ ...good, spread: [...good.spread.slice(1), 0] }, 'featureStatistics.spread[8]', /positive number, got 0/],
    [{ ...good, mean: [...good.mean.slice(1), [0, 'x']] }, 'featureStatistics.mean[8][1]', /finite number/],
    ['yes', 'featureStatistics', /must be \{mean, precision, spread\}/],
  ])('a bad one names the field: %#', (stats, field, message) => {
    const run = () => parseManifest(withStats(stats), 'my-manifest.json');
    expect(run).toThrow(ManifestError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (e) {
      expect((e as ManifestError).field).toBe(field);
      expect((e as ManifestError).message.startsWith('my-manifest.json: ')).toBe(true);
    }
  });

  it('needs a feature output to describe', () => {
    expect(() => parseManifest(withStats(good, { featureOutput: null }))).toThrow(
      /featureStatistics describe the featureOutput, but the manifest names none/,
    );
  });
});

describe('the default model’s statistics on a held-out room', () => {
  it('place walls within their spread, and windows and pictures the model calls wall far outside it', async () => {
    const manifest = parseManifest(shipped);
    const stats = manifest.featureStatistics!;
    expect([stats.classes, stats.dims]).toEqual([9, 48]);
    const wall = manifest.classes.findIndex((c) => c.name === 'wall');
    const idOf = (name: string) => NYU13_CLASSES.find((c) => c.name === name)!.id;

    const { dir } = await runGenerate(['--preset', 'bench', '--seed', '2001', '--frames', '12']);
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(MODEL_DIR, manifest.file))), {
      executionProviders: ['wasm'],
    });
    // Per frame, each ground-truth class's pixels as one segment; its distance to wall.
    const toWall = new Map<string, number[]>();
    for (let f = 0; f < 12; f += 2) {
      const rgb = decodePng(readFileSync(join(dir, 'rgb', `rgb_${f}.png`)));
      const labels = decodePng(readFileSync(join(dir, 'semantic_class', `semantic_class_${f}.png`))).data;
      const rgba = new Uint8Array(rgb.width * rgb.height * 4);
      for (let p = 0; p < rgb.width * rgb.height; p++) for (let c = 0; c < 3; c++) rgba[p * 4 + c] = rgb.data[p * rgb.channels + c]!;
      const input = preprocess(
        { width: rgb.width, height: rgb.height, rgba },
        { width: rgb.width, height: rgb.height },
        manifest.normalization,
        manifest.layout,
      );
      const out = await session.run({ [manifest.inputName]: new ort.Tensor('float32', input.data, input.dims) });
      const t = out[manifest.featureOutput!]!;
      const map = outputToMap(manifest.featureOutput!, t.dims, t.data as Float32Array, null, manifest.layout);
      const names = ['wall', 'window', 'picture'];
      const segments = Int32Array.from(labels, (l) => names.findIndex((n) => idOf(n) === l));
      const pixels = Uint32Array.from(names, (_, s) => segments.reduce((n, v) => n + (v === s ? 1 : 0), 0));
      const look = segmentAppearance(map, { width: rgb.width, height: rgb.height, segments, count: names.length, pixels });
      const d = classDistances(stats, look);
      names.forEach((n, s) => pixels[s]! >= 400 && toWall.set(n, [...(toWall.get(n) ?? []), d.data[s * stats.classes + wall]!]));
    }
    const mean = (n: string) => toWall.get(n)!.reduce((a, b) => a + b, 0) / toWall.get(n)!.length;
    console.log(
      `[feature statistics] distance to wall in wall spreads, seed 2001: ${[...toWall].map(([n, v]) => `${n} ${mean(n).toFixed(2)} (${v.length} frames)`).join(', ')}`,
    );
    expect(toWall.get('window')?.length).toBeGreaterThanOrEqual(2);
    expect(toWall.get('picture')?.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...toWall.get('wall')!)).toBeLessThan(1);
    expect(Math.min(...toWall.get('window')!)).toBeGreaterThan(1.5);
    expect(Math.min(...toWall.get('picture')!)).toBeGreaterThan(1.5);
  }, 120_000);
});
