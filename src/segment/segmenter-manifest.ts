/**
 * The manifest: a JSON file beside each ONNX segmenter that says how to feed it and how to read
 * it. The model file alone does not say how pixels are normalised, which output holds the logits
 * or what the classes are called, so every model the app runs comes with one (or gets one
 * proposed from its metadata, see manifest-check.ts).
 *
 * Parsing is strict: a wrong field is an error that names the manifest and the field, because a
 * silently misread manifest gives plausible-looking but wrong segmentations.
 */
import { parseFeatureStatistics, type FeatureStatistics } from './feature-statistics.ts';

export type TensorLayout = 'NCHW' | 'NHWC';

/** `(rgb / 255 - mean) / std`, per channel, or `value * scale + offset` on 0..255 values. */
export type Normalization = { mean: [number, number, number]; std: [number, number, number] } | { scale: number; offset: number };

export interface SegmenterClass {
  name: string;
  /** The class's id in the dataset it was trained on (e.g. NYUv2's 40-class ids), if any. */
  id?: number;
}

export interface SegmenterManifest {
  name: string;
  /** The ONNX file, relative to the manifest. */
  file: string;
  inputName: string;
  layout: TensorLayout;
  /** A fixed input size the image is resized to, or 'dynamic' (the frame is fed at its own size). */
  inputSize: { width: number; height: number } | 'dynamic';
  normalization: Normalization;
  /** The output holding pre-softmax logits, one channel per class. */
  logitsOutput: string;
  /** An optional output with a feature map (any channel count, any resolution). */
  featureOutput: string | null;
  /** Optional: what featureOutput looks like for each class (feature-statistics.ts). */
  featureStatistics: FeatureStatistics | null;
  classes: SegmenterClass[];
  /** Names (from `classes`) the segmenter was trained to recognise as known. */
  knownClasses: string[];
  /** The class that names no object (VOC's background, ADE20K's "other"): never known. */
  catchAll: string | null;
  license: string;
  sourceUrl: string;
  /** SHA-256 of the ONNX file, lower-case hex. */
  sha256: string;
  sizeBytes: number;
}

/**
 * The largest side of a model input a manifest may declare. The input tensor alone is 3 floats a
 * pixel (192 MiB at 4096 x 4096) and the logits one float a pixel per class; a manifest declaring
 * 60000 x 60000 on a dynamic-shape model used to be accepted and fail at the first frame with
 * "Invalid typed array length", after the model had loaded.
 */
export const MAX_MODEL_INPUT_SIDE = 4096;

/** Why a model input of this size is refused, or null. */
export function inputSideProblem(side: number): string | null {
  return side > MAX_MODEL_INPUT_SIDE ? `is ${side}, over the limit of ${MAX_MODEL_INPUT_SIDE} pixels a side` : null;
}

/** A bad manifest field, named in the message ("manifest.json: layout must be ..."). */
export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    /** The manifest (or model) file at fault. */
    readonly file: string,
    /** The manifest field at fault, e.g. 'inputSize.width'. */
    readonly field: string,
    problem: string,
  ) {
    super(`${file}: ${field} ${problem}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates parsed JSON as a manifest; `source` names the file in error messages. */
export function parseManifest(json: unknown, source = 'manifest.json'): SegmenterManifest {
  const fail = (field: string, problem: string): never => {
    throw new ManifestError(source, field, problem);
  };
  if (!isRecord(json)) return fail('(root)', `must be a JSON object, got ${describe(json)}`);

  const text = (field: string, allowEmpty = false): string => {
    const v = json[field];
    if (typeof v !== 'string' || (!allowEmpty && v.trim() === '')) fail(field, `must be a non-empty string, got ${describe(v)}`);
    return v as string;
  };
  const finite = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, `must be a finite number, got ${describe(v)}`);
    return v as number;
  };
  const positiveInt = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(field, `must be a positive integer, got ${describe(v)}`);
    return v as number;
  };
  const triple = (field: string, v: unknown): [number, number, number] => {
    if (!Array.isArray(v) || v.length !== 3) return fail(field, `must be an array of 3 numbers, got ${describe(v)}`);
    return [finite(`${field}[0]`, v[0]), finite(`${field}[1]`, v[1]), finite(`${field}[2]`, v[2])];
  };

  const name = text('name');
  const file = text('file');
  const inputName = text('inputName');

  const layout = json.layout;
  if (layout !== 'NCHW' && layout !== 'NHWC') fail('layout', `must be NCHW or NHWC, got ${describe(layout)}`);

  let inputSize: SegmenterManifest['inputSize'];
  const size = json.inputSize;
  if (size === 'dynamic') inputSize = 'dynamic';
  else if (isRecord(size)) {
    inputSize = { width: positiveInt('inputSize.width', size.width), height: positiveInt('inputSize.height', size.height) };
    for (const side of ['width', 'height'] as const) {
      const problem = inputSideProblem(inputSize[side]);
      if (problem) fail(`inputSize.${side}`, problem);
    }
  } else return fail('inputSize', `must be {width, height} or "dynamic", got ${describe(size)}`);

  let normalization: Normalization;
  const norm = json.normalization;
  if (isRecord(norm) && ('mean' in norm || 'std' in norm)) {
    const mean = triple('normalization.mean', norm.mean);
    const std = triple('normalization.std', norm.std);
    std.forEach((s, i) => {
      if (s === 0) fail(`normalization.std[${i}]`, 'must not be 0');
    });
    normalization = { mean, std };
  } else if (isRecord(norm) && ('scale' in norm || 'offset' in norm)) {
    const scale = finite('normalization.scale', norm.scale);
    if (scale === 0) fail('normalization.scale', 'must not be 0');
    normalization = { scale, offset: finite('normalization.offset', norm.offset) };
  } else {
    return fail('normalization', `must be {mean: [3], std: [3]} (on 0..1 RGB) or {scale, offset} (on 0..255), got ${describe(norm)}`);
  }

  const logitsOutput = text('logitsOutput');
  const featureOutput = json.featureOutput ?? null;
  if (featureOutput !== null && (typeof featureOutput !== 'string' || featureOutput.trim() === '')) {
    fail('featureOutput', `must be an output name or null, got ${describe(featureOutput)}`);
  }

  const rawClasses = json.classes;
  if (!Array.isArray(rawClasses) || rawClasses.length < 2) {
    fail('classes', `must be an array of at least 2 classes, got ${describe(rawClasses)}`);
  }
  const classes = (rawClasses as unknown[]).map((c, i): SegmenterClass => {
    if (typeof c === 'string' && c.trim() !== '') return { name: c };
    if (!isRecord(c) || typeof c.name !== 'string' || c.name.trim() === '') {
      return fail(`classes[${i}]`, `must be {name, id?} with a non-empty name, got ${describe(c)}`);
    }
    if (c.id === undefined) return { name: c.name };
    if (typeof c.id !== 'number' || !Number.isInteger(c.id) || c.id < 0) {
      fail(`classes[${i}].id`, `must be a non-negative integer, got ${describe(c.id)}`);
    }
    return { name: c.name, id: c.id as number };
  });
  const seen = new Set<string>();
  classes.forEach((c, i) => {
    if (seen.has(c.name)) fail(`classes[${i}].name`, `'${c.name}' appears twice`);
    seen.add(c.name);
  });

  const rawKnown = json.knownClasses;
  if (!Array.isArray(rawKnown)) fail('knownClasses', `must be an array of class names, got ${describe(rawKnown)}`);
  const knownClasses = (rawKnown as unknown[]).map((k, i) => {
    if (typeof k !== 'string' || !seen.has(k)) fail(`knownClasses[${i}]`, `must name one of the classes, got ${describe(k)}`);
    return k as string;
  });

  const catchAll = json.catchAll ?? null;
  if (catchAll !== null && (typeof catchAll !== 'string' || !seen.has(catchAll))) {
    fail('catchAll', `must name one of the classes or be null, got ${describe(catchAll)}`);
  }

  const rawStatistics = json.featureStatistics ?? null;
  if (rawStatistics !== null && featureOutput === null)
    fail('featureStatistics', 'describe the featureOutput, but the manifest names none');
  if (rawStatistics !== null && !isRecord(rawStatistics)) fail('featureStatistics', 'must be {mean, precision, spread}');
  const featureStatistics =
    rawStatistics === null ? null : parseFeatureStatistics(rawStatistics as Record<string, unknown>, classes.length, fail);

  const license = text('license');
  const sourceUrl = text('sourceUrl', true);
  const sha256 = json.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256)) {
    fail('sha256', `must be 64 hexadecimal digits, got ${describe(sha256)}`);
  }
  const sizeBytes = positiveInt('sizeBytes', json.sizeBytes);

  return {
    name,
    file,
    inputName,
    layout: layout as TensorLayout,
    inputSize,
    normalization,
    logitsOutput,
    featureOutput: featureOutput as string | null,
    featureStatistics,
    classes,
    knownClasses,
    catchAll: catchAll as string | null,
    license,
    sourceUrl,
    sha256: (sha256 as string).toLowerCase(),
    sizeBytes,
  };
}

/** Parses manifest text; a JSON syntax error names the file too. */
export function parseManifestText(text: string, source = 'manifest.json'): SegmenterManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(source, '(root)', `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseManifest(json, source);
}
