/**
 * The segmenter manifest: every bad field is refused with a message naming the file and the
 * field; a manifest that contradicts the model's own input/output metadata is refused naming the
 * field; a bare model's metadata gives a proposed manifest.
 */
import { describe, expect, it } from 'vitest';
import { checkManifest, proposeManifest, type ModelSignature } from '../../src/segment/manifest-check.ts';
import { DEEPLAB_V3_PASCAL_MANIFEST, PASCAL_VOC_CLASSES } from '../../src/segment/model-catalog.ts';
import {
  ManifestError,
  MAX_MODEL_INPUT_SIDE,
  parseManifest,
  parseManifestText,
  type SegmenterManifest,
} from '../../src/segment/segmenter-manifest.ts';

const SHA = '48a46b346ca7e2e96760b8a10a302046a3b5a9ce55e59d4c659c36d9cbd44118';

const VOC = PASCAL_VOC_CLASSES;
const good = (): Record<string, unknown> => ({
  ...structuredClone(DEEPLAB_V3_PASCAL_MANIFEST),
  name: 'DeepLabV3 MobileNetV2 PASCAL VOC',
  file: 'model.onnx',
  sha256: SHA,
});
const deeplab: ModelSignature = {
  inputs: [{ name: 'sub_7', type: 'float32', shape: [1, 257, 257, 3] }],
  outputs: [{ name: 'ResizeBilinear_3', type: 'float32', shape: [1, 257, 257, 21] }],
};

function errorOf(run: () => unknown): ManifestError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('expected a ManifestError');
}

describe('parseManifest', () => {
  it('accepts a good manifest (both normalisation forms, string classes, dynamic size)', () => {
    const m = parseManifest(good());
    expect(m.layout).toBe('NHWC');
    expect(m.classes).toHaveLength(21);
    expect(m.normalization).toEqual({ scale: 1 / 127.5, offset: -1 });
    const other = parseManifest({
      ...good(),
      inputSize: 'dynamic',
      normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      classes: ['wall', { name: 'floor', id: 2 }],
      knownClasses: ['wall'],
      catchAll: null,
      featureOutput: 'features',
      sha256: SHA.toUpperCase(),
    });
    expect(other.inputSize).toBe('dynamic');
    expect(other.classes).toEqual([{ name: 'wall' }, { name: 'floor', id: 2 }]);
    expect(other.featureOutput).toBe('features');
    expect(other.sha256).toBe(SHA);
  });

  // Each case: the field changed, and the exact message expected.
  const cases: [string, (m: Record<string, unknown>) => void, string][] = [
    ['name', (m) => delete m.name, 'manifest.json: name must be a non-empty string, got nothing'],
    ['file', (m) => (m.file = ''), "manifest.json: file must be a non-empty string, got ''"],
    ['inputName', (m) => (m.inputName = 3), 'manifest.json: inputName must be a non-empty string, got 3'],
    ['layout', (m) => (m.layout = 'CHW'), "manifest.json: layout must be NCHW or NHWC, got 'CHW'"],
    ['inputSize', (m) => (m.inputSize = 257), 'manifest.json: inputSize must be {width, height} or "dynamic", got 257'],
    ['inputSize.width', (m) => (m.inputSize = { width: 0, height: 2 }), 'manifest.json: inputSize.width must be a positive integer, got 0'],
    [
      'inputSize.height',
      (m) => (m.inputSize = { width: 2, height: 2.5 }),
      'manifest.json: inputSize.height must be a positive integer, got 2.5',
    ],
    [
      'inputSize.width over the limit',
      (m) => (m.inputSize = { width: 60000, height: 60000 }),
      'manifest.json: inputSize.width is 60000, over the limit of 4096 pixels a side',
    ],
    [
      'inputSize.height over the limit',
      (m) => (m.inputSize = { width: 4096, height: 4097 }),
      'manifest.json: inputSize.height is 4097, over the limit of 4096 pixels a side',
    ],
    [
      'normalization',
      (m) => (m.normalization = 'imagenet'),
      "manifest.json: normalization must be {mean: [3], std: [3]} (on 0..1 RGB) or {scale, offset} (on 0..255), got 'imagenet'",
    ],
    [
      'normalization.mean',
      (m) => (m.normalization = { mean: [0.5, 0.5], std: [1, 1, 1] }),
      'manifest.json: normalization.mean must be an array of 3 numbers, got [0.5,0.5]',
    ],
    [
      'normalization.std[1]',
      (m) => (m.normalization = { mean: [0, 0, 0], std: [1, 'x', 1] }),
      "manifest.json: normalization.std[1] must be a finite number, got 'x'",
    ],
    [
      'normalization.std[2] zero',
      (m) => (m.normalization = { mean: [0, 0, 0], std: [1, 1, 0] }),
      'manifest.json: normalization.std[2] must not be 0',
    ],
    ['normalization.scale', (m) => (m.normalization = { scale: 0, offset: 1 }), 'manifest.json: normalization.scale must not be 0'],
    [
      'normalization.offset',
      (m) => (m.normalization = { scale: 1 }),
      'manifest.json: normalization.offset must be a finite number, got nothing',
    ],
    ['logitsOutput', (m) => (m.logitsOutput = null), 'manifest.json: logitsOutput must be a non-empty string, got null'],
    ['featureOutput', (m) => (m.featureOutput = 5), 'manifest.json: featureOutput must be an output name or null, got 5'],
    ['classes', (m) => (m.classes = ['one']), 'manifest.json: classes must be an array of at least 2 classes, got ["one"]'],
    [
      'classes[1]',
      (m) => (m.classes = ['a', { id: 3 }]),
      'manifest.json: classes[1] must be {name, id?} with a non-empty name, got {"id":3}',
    ],
    [
      'classes[1].id',
      (m) => (m.classes = ['a', { name: 'b', id: -1 }]),
      'manifest.json: classes[1].id must be a non-negative integer, got -1',
    ],
    ['classes[2].name', (m) => (m.classes = ['a', 'b', 'a']), "manifest.json: classes[2].name 'a' appears twice"],
    ['knownClasses', (m) => (m.knownClasses = 'all'), "manifest.json: knownClasses must be an array of class names, got 'all'"],
    [
      'knownClasses[1]',
      (m) => (m.knownClasses = ['cat', 'unicorn']),
      "manifest.json: knownClasses[1] must name one of the classes, got 'unicorn'",
    ],
    ['catchAll', (m) => (m.catchAll = 'void'), "manifest.json: catchAll must name one of the classes or be null, got 'void'"],
    ['license', (m) => (m.license = ''), "manifest.json: license must be a non-empty string, got ''"],
    ['sourceUrl', (m) => delete m.sourceUrl, 'manifest.json: sourceUrl must be a non-empty string, got nothing'],
    ['sha256', (m) => (m.sha256 = 'abc'), "manifest.json: sha256 must be 64 hexadecimal digits, got 'abc'"],
    ['sizeBytes', (m) => (m.sizeBytes = -4), 'manifest.json: sizeBytes must be a positive integer, got -4'],
  ];
  for (const [field, change, message] of cases) {
    it(`refuses a bad ${field}`, () => {
      const m = good();
      change(m);
      const e = errorOf(() => parseManifest(m));
      expect(e.message).toBe(message);
      expect(e.file).toBe('manifest.json');
      expect(message).toContain(e.field);
    });
  }

  it('names the file it was given, and refuses non-objects and bad JSON', () => {
    expect(errorOf(() => parseManifest({ ...good(), layout: 'CHW' }, 'deeplab.json')).message).toBe(
      "deeplab.json: layout must be NCHW or NHWC, got 'CHW'",
    );
    expect(errorOf(() => parseManifest([1, 2])).message).toBe('manifest.json: (root) must be a JSON object, got [1,2]');
    expect(errorOf(() => parseManifestText('{"name": ', 'm.json')).message).toMatch(/^m\.json: \(root\) is not valid JSON: /);
  });
});

describe('checkManifest against the model', () => {
  const manifest = (change: (m: Record<string, unknown>) => void = () => {}): SegmenterManifest => {
    const m = good();
    change(m);
    return parseManifest(m);
  };

  it('accepts the manifest that matches DeepLabV3, and symbolic dimensions', () => {
    expect(() => checkManifest(manifest(), deeplab)).not.toThrow();
    const symbolic: ModelSignature = {
      inputs: [{ name: 'sub_7', type: 'float32', shape: ['batch', 'h', 'w', 3] }],
      outputs: [{ name: 'ResizeBilinear_3', type: 'float32', shape: ['batch', 'h', 'w', 'k'] }],
    };
    expect(() => checkManifest(manifest(), symbolic)).not.toThrow();
    expect(() =>
      checkManifest(
        manifest((m) => (m.inputSize = 'dynamic')),
        symbolic,
      ),
    ).not.toThrow();
    // No metadata at all (older runtimes): only the names are checked.
    expect(() => checkManifest(manifest(), { inputs: [{ name: 'sub_7' }], outputs: [{ name: 'ResizeBilinear_3' }] })).not.toThrow();
  });

  const mismatches: [string, (m: Record<string, unknown>) => void, string][] = [
    ['inputName', (m) => (m.inputName = 'image'), "manifest.json: inputName 'image' is not an input of model.onnx (its inputs: 'sub_7')"],
    [
      'layout',
      (m) => (m.layout = 'NCHW'),
      "manifest.json: layout NCHW puts channels on axis 1, but input 'sub_7' has shape [1, 257, 257, 3]",
    ],
    [
      'inputSize.width',
      (m) => (m.inputSize = { width: 320, height: 257 }),
      "manifest.json: inputSize.width is 320 but input 'sub_7' has shape [1, 257, 257, 3]",
    ],
    [
      'inputSize.height',
      (m) => (m.inputSize = { width: 257, height: 240 }),
      "manifest.json: inputSize.height is 240 but input 'sub_7' has shape [1, 257, 257, 3]",
    ],
    [
      'inputSize',
      (m) => (m.inputSize = 'dynamic'),
      'manifest.json: inputSize is "dynamic" but input \'sub_7\' is fixed at 257x257 (shape [1, 257, 257, 3])',
    ],
    [
      'logitsOutput',
      (m) => (m.logitsOutput = 'logits'),
      "manifest.json: logitsOutput 'logits' is not an output of model.onnx (its outputs: 'ResizeBilinear_3')",
    ],
    [
      'classes',
      (m) => ((m.classes = VOC.slice(0, 20)), (m.knownClasses = [])),
      "manifest.json: classes lists 20 classes but output 'ResizeBilinear_3' has shape [1, 257, 257, 21]",
    ],
    [
      'featureOutput',
      (m) => (m.featureOutput = 'MobilenetV2/Conv'),
      "manifest.json: featureOutput 'MobilenetV2/Conv' is not an output of model.onnx (its outputs: 'ResizeBilinear_3')",
    ],
  ];
  for (const [field, change, message] of mismatches) {
    it(`refuses a ${field} the model contradicts`, () => {
      const e = errorOf(() => checkManifest(manifest(change), deeplab));
      expect(e.message).toBe(message);
      expect(e.field).toBe(field);
    });
  }

  it(`refuses a fixed size over ${MAX_MODEL_INPUT_SIDE} pixels a side for a dynamic-shape model when the manifest is read`, () => {
    const dynamic: ModelSignature = {
      inputs: [{ name: 'sub_7', type: 'float32', shape: ['batch', 'h', 'w', 3] }],
      outputs: [{ name: 'ResizeBilinear_3', type: 'float32', shape: ['batch', 'h', 'w', 21] }],
    };
    const text = (width: number, height: number): string => JSON.stringify({ ...good(), inputSize: { width, height } });
    // The model cannot refuse it (its size is symbolic): the manifest's own check does, before
    // the model is loaded or a tensor allocated.
    expect(errorOf(() => parseManifestText(text(60000, 60000), 'big-model/manifest.json')).message).toBe(
      'big-model/manifest.json: inputSize.width is 60000, over the limit of 4096 pixels a side',
    );
    expect(() => checkManifest(parseManifestText(text(4096, 4096), 'big-model/manifest.json'), dynamic)).not.toThrow();
  });

  it('refuses an integer input and a non-image input', () => {
    const ints: ModelSignature = { ...deeplab, inputs: [{ name: 'sub_7', type: 'uint8', shape: [1, 257, 257, 3] }] };
    expect(errorOf(() => checkManifest(manifest(), ints)).message).toBe(
      "manifest.json: inputName 'sub_7' takes uint8; only float32 image inputs are supported",
    );
    const flat: ModelSignature = { ...deeplab, inputs: [{ name: 'sub_7', type: 'float32', shape: [1, 198147] }] };
    expect(errorOf(() => checkManifest(manifest(), flat)).field).toBe('inputName');
  });
});

describe('proposeManifest for a bare .onnx', () => {
  it('guesses NHWC, the fixed size and 21 classes from DeepLabV3', () => {
    const m = proposeManifest(deeplab, 'deeplab.onnx', { sha256: SHA, sizeBytes: 2781296 });
    expect(m).toMatchObject({
      name: 'deeplab',
      file: 'deeplab.onnx',
      inputName: 'sub_7',
      layout: 'NHWC',
      inputSize: { width: 257, height: 257 },
      logitsOutput: 'ResizeBilinear_3',
      featureOutput: null,
      sha256: SHA,
      sizeBytes: 2781296,
    });
    expect(m.classes.map((c) => c.name)).toEqual(Array.from({ length: 21 }, (_, i) => `class-${i}`));
    expect(m.knownClasses).toHaveLength(21);
    // What it proposes is itself a valid manifest that passes the check.
    expect(() => checkManifest(parseManifest(JSON.parse(JSON.stringify(m))), deeplab)).not.toThrow();
  });

  it('guesses NCHW and a dynamic size from a PyTorch-style export', () => {
    const torch: ModelSignature = {
      inputs: [{ name: 'image', type: 'float32', shape: ['n', 3, 'h', 'w'] }],
      outputs: [
        { name: 'logits', type: 'float32', shape: ['n', 9, 'h', 'w'] },
        { name: 'features', type: 'float32', shape: ['n', 64, 'h8', 'w8'] },
      ],
    };
    const m = proposeManifest(torch, 'seg.onnx', { sha256: SHA, sizeBytes: 10 });
    expect(m.layout).toBe('NCHW');
    expect(m.inputSize).toBe('dynamic');
    expect(m.logitsOutput).toBe('logits');
    expect(m.classes).toHaveLength(9);
    const fixed = proposeManifest(
      { inputs: [{ name: 'x', shape: [1, 3, 240, 320] }], outputs: [{ name: 'y', shape: [1, 9, 240, 320] }] },
      'm.onnx',
      { sha256: SHA, sizeBytes: 10 },
    );
    expect(fixed.inputSize).toEqual({ width: 320, height: 240 });
  });

  it('says what it cannot guess', () => {
    const facts = { sha256: SHA, sizeBytes: 10 };
    expect(
      errorOf(() => proposeManifest({ inputs: [{ name: 'x', shape: [1, 4, 8, 8] }], outputs: deeplab.outputs }, 'a.onnx', facts)).message,
    ).toBe("a.onnx: layout cannot be proposed: no axis of input 'x' [1, 4, 8, 8] has 3 channels; write a manifest for this model");
    expect(
      errorOf(() =>
        proposeManifest({ inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], outputs: [{ name: 'y', shape: [1, 'k', 8, 8] }] }, 'b.onnx', facts),
      ).message,
    ).toBe("b.onnx: classes cannot be proposed: output 'y' has shape [1, k, 8, 8], no class axis; write a manifest for this model");
    expect(errorOf(() => proposeManifest({ inputs: [{ name: 'x' }], outputs: [] }, 'c.onnx', facts)).field).toBe('logitsOutput');
    expect(
      errorOf(() =>
        proposeManifest(
          { inputs: [{ name: 'x', shape: [1, 3, 60000, 60000] }], outputs: [{ name: 'y', shape: [1, 9, 8, 8] }] },
          'd.onnx',
          facts,
        ),
      ).message,
    ).toBe("d.onnx: inputSize.width of input 'x' [1, 3, 60000, 60000] is 60000, over the limit of 4096 pixels a side");
  });
});
