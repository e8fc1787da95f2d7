/**
 * The shipped ADE20K segmenter (public/models/deeplabv3-mnv2-ade20k, converted from TFLite by
 * tools/segmenter/convert-ade20k.py) in onnxruntime-web's wasm backend, on two photos of
 * ../shared/data/ade20k-tiny (a bedroom and a kitchen), fed and read back as the page does.
 *
 * Known answers: the argmax of the TFLite graph itself on the same input, from the NumPy
 * reference (tools/segmenter/reference-ade20k.py, tests/fixtures/ade20k-reference), both as
 * TFLite computes it (int8 hybrid convolutions) and with the weights dequantised (what the
 * conversion must reproduce exactly); and what is in the photos. The annotations beside the
 * photos are not used: they belong to other photos (see tools/segmenter/README.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmax } from '../../src/segment/class-distribution.ts';
import { resizeFeatureMap } from '../../src/segment/feature-query.ts';
import { outputToMap } from '../../src/segment/logits-tensor.ts';
import { checkManifest } from '../../src/segment/manifest-check.ts';
import { modelInputSize, preprocess } from '../../src/segment/preprocess.ts';
import { parseManifest, type SegmenterManifest } from '../../src/segment/segmenter-manifest.ts';
import { loadPhoto } from '../../tools/segmenter/ade20k-tiny.ts';
import { hasShared, REPOSITORY_ROOT, sharedPath } from '../helpers/shared-material.ts';

const MODEL_DIR = join(REPOSITORY_ROOT, 'public', 'models', 'deeplabv3-mnv2-ade20k');
const PHOTOS = 'data/ade20k-tiny';
const HAS_PHOTOS = hasShared(PHOTOS);
const FIXTURES = join(REPOSITORY_ROOT, 'tests', 'fixtures', 'ade20k-reference');

const readManifest = (): SegmenterManifest =>
  parseManifest(JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8')), 'deeplabv3-mnv2-ade20k/manifest.json');

function referenceArgmax(photo: string, mode: 'tflite' | 'dequantized'): { width: number; height: number; data: Uint8Array } {
  const png = decode(readFileSync(join(FIXTURES, `${photo}.${mode}.png`)));
  return { width: png.width, height: png.height, data: png.data as Uint8Array };
}

function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

describe('the shipped ADE20K model (DeepLabV3 MobileNetV2)', () => {
  it('has a manifest the page accepts: its file, 151 classes with "other" first, x / 127.5 - 1, provenance', () => {
    const manifest = readManifest();
    const bytes = readFileSync(join(MODEL_DIR, manifest.file));
    expect(bytes.length).toBe(manifest.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
    expect(manifest.classes).toHaveLength(151);
    expect(manifest.classes.slice(0, 4).map((c) => c.name)).toEqual(['other', 'wall', 'building', 'sky']);
    // Names only: ADE20K's ids are its channels, and would be taken for a scan's own label ids.
    expect(manifest.classes[150]).toEqual({ name: 'flag' });
    expect(manifest.catchAll).toBe('other');
    expect(manifest.knownClasses).toHaveLength(150);
    expect(manifest.knownClasses).not.toContain('other');
    expect(manifest.normalization).toEqual({ scale: 1 / 127.5, offset: -1 });
    expect(manifest.inputSize).toEqual({ width: 513, height: 513 });
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.sourceUrl).toContain('34dc5cb5d4ef1c0a3ae6c8c0f3093676fa26c91f');
    expect(readFileSync(join(MODEL_DIR, 'NOTICE'), 'utf8')).toContain('Apache License, Version 2.0');
  });

  describe.skipIf(!HAS_PHOTOS)('on photos of ade20k-tiny', () => {
    let session: ort.InferenceSession;
    let manifest: SegmenterManifest;

    beforeAll(async () => {
      manifest = readManifest();
      ort.env.wasm.numThreads = 1;
      session = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(MODEL_DIR, manifest.file))), {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      const info = (meta: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]) =>
        names.map((name) => {
          const m = meta.find((v) => v.name === name);
          return m && m.isTensor ? { name, type: m.type, shape: m.shape } : { name };
        });
      checkManifest(manifest, {
        inputs: info(session.inputMetadata, session.inputNames),
        outputs: info(session.outputMetadata, session.outputNames),
      });
    });

    // Measured: argmax agreement with the dequantised reference 1.0 on both photos, with TFLite's
    // own (hybrid int8) arithmetic 0.989 (bedroom) and 0.984 (kitchen); shares of the photo
    // labelled bed 0.277, curtain 0.237, wall 0.291 (bedroom), cabinet 0.424, wall 0.354, sink
    // 0.105 (kitchen).
    it.each([
      ['ADE_val_00000004', 'bedroom', { bed: 0.25, curtain: 0.2, wall: 0.25 }, 0.98],
      ['ADE_val_00000008', 'kitchen', { cabinet: 0.38, wall: 0.3, sink: 0.08 }, 0.975],
    ] as const)("%s (%s): the TFLite graph's argmax, and what is in the photo", async (name, _scene, contents, tfliteBound) => {
      const photo = await loadPhoto(sharedPath(PHOTOS), name);
      const size = modelInputSize(manifest, photo.image);
      const input = preprocess(photo.image, size, manifest.normalization, manifest.layout);
      const result = await session.run({ [manifest.inputName]: new ort.Tensor('float32', input.data, input.dims) });
      const raw = result[manifest.logitsOutput]!;
      const features = result[manifest.featureOutput!]!;
      // Both at 1/4 of the input (TF's SAME padding: 513 -> 257 -> 129).
      expect(raw.dims).toEqual([1, 151, 129, 129]);
      expect(features.dims).toEqual([1, 256, 129, 129]);

      const logits = outputToMap(manifest.logitsOutput, raw.dims, raw.data as Float32Array, 151, manifest.layout);
      const atModel = argmax(logits);
      const dequantized = referenceArgmax(name, 'dequantized');
      const tflite = referenceArgmax(name, 'tflite');
      expect([dequantized.width, dequantized.height]).toEqual([129, 129]);
      expect(agreement(atModel, dequantized.data)).toBeGreaterThanOrEqual(0.999);
      expect(agreement(atModel, tflite.data)).toBeGreaterThanOrEqual(tfliteBound);

      // As the page reads it: logits resized to the photo, argmax; the photo's main contents.
      const labels = argmax(resizeFeatureMap(logits, photo.image.width, photo.image.height));
      const names = manifest.classes.map((c) => c.name);
      for (const [cls, share] of Object.entries(contents)) {
        const id = names.indexOf(cls);
        const fraction = labels.filter((l) => l === id).length / labels.length;
        expect(fraction, cls).toBeGreaterThanOrEqual(share);
      }
    });
  });
});
