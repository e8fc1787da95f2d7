/**
 * The manifest against the model's own metadata. onnxruntime-web 1.30 reports each input's and
 * output's name, element type and shape (numbers, or strings for symbolic dimensions), so a
 * manifest that names the wrong input, the wrong layout, a fixed size the model does not take or
 * a class list of the wrong length is caught at load time, naming the field, instead of failing
 * (or silently misreading the output) at the first frame.
 *
 * For a bare `.onnx` without a manifest, the same metadata gives a proposal: the user sees what
 * was guessed (layout, size, class count) and what could not be known (class names,
 * normalisation, licence).
 */
import { inputSideProblem, ManifestError, type SegmenterManifest, type TensorLayout } from './segmenter-manifest.ts';

/** One input or output as onnxruntime reports it; `shape` is missing when the runtime does not say. */
export interface ValueInfo {
  name: string;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

export interface ModelSignature {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

const dim = (d: number | string | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);
const shapeText = (shape: ReadonlyArray<number | string>): string => `[${shape.map(String).join(', ')}]`;

/** Which axis holds the classes in a 4-D logits tensor: 1 (NCHW) or 3 (NHWC), or null if unknown. */
export function classAxis(shape: ReadonlyArray<number | string>, classes: number, prefer: TensorLayout): 1 | 3 | null {
  if (shape.length !== 4) return null;
  const c1 = dim(shape[1]) === classes;
  const c3 = dim(shape[3]) === classes;
  if (c1 && c3) return prefer === 'NCHW' ? 1 : 3;
  return c1 ? 1 : c3 ? 3 : null;
}

/** Throws a ManifestError naming the first manifest field the model contradicts. */
export function checkManifest(manifest: SegmenterManifest, model: ModelSignature, source = 'manifest.json'): void {
  const fail = (field: string, problem: string): never => {
    throw new ManifestError(source, field, problem);
  };
  const names = (list: ValueInfo[]): string => list.map((v) => `'${v.name}'`).join(', ');

  const input = model.inputs.find((v) => v.name === manifest.inputName);
  if (!input) return fail('inputName', `'${manifest.inputName}' is not an input of ${manifest.file} (its inputs: ${names(model.inputs)})`);
  if (input.type !== undefined && input.type !== 'float32') {
    fail('inputName', `'${input.name}' takes ${input.type}; only float32 image inputs are supported`);
  }
  if (input.shape && input.shape.length > 0) {
    const s = input.shape;
    if (s.length !== 4) fail('inputName', `'${input.name}' has shape ${shapeText(s)}; an image input has 4 dimensions`);
    const [hAxis, wAxis, cAxis] = manifest.layout === 'NCHW' ? [2, 3, 1] : [1, 2, 3];
    const channels = dim(s[cAxis]);
    if (channels !== null && channels !== 3) {
      fail('layout', `${manifest.layout} puts channels on axis ${cAxis}, but input '${input.name}' has shape ${shapeText(s)}`);
    }
    const h = dim(s[hAxis]);
    const w = dim(s[wAxis]);
    if (manifest.inputSize === 'dynamic') {
      if (h !== null && w !== null)
        fail('inputSize', `is "dynamic" but input '${input.name}' is fixed at ${w}x${h} (shape ${shapeText(s)})`);
    } else {
      const want = manifest.inputSize;
      if (h !== null && h !== want.height)
        fail('inputSize.height', `is ${want.height} but input '${input.name}' has shape ${shapeText(s)}`);
      if (w !== null && w !== want.width) fail('inputSize.width', `is ${want.width} but input '${input.name}' has shape ${shapeText(s)}`);
    }
  }

  const logits = model.outputs.find((v) => v.name === manifest.logitsOutput);
  if (!logits)
    return fail('logitsOutput', `'${manifest.logitsOutput}' is not an output of ${manifest.file} (its outputs: ${names(model.outputs)})`);
  if (logits.shape && logits.shape.length > 0) {
    const s = logits.shape;
    if (s.length !== 4) fail('logitsOutput', `'${logits.name}' has shape ${shapeText(s)}; per-pixel logits have 4 dimensions`);
    const k = manifest.classes.length;
    // Either axis 1 or axis 3 may hold the classes; a symbolic one could be anything.
    const symbolic = dim(s[1]) === null || dim(s[3]) === null;
    if (!symbolic && classAxis(s, k, manifest.layout) === null) {
      fail('classes', `lists ${k} classes but output '${logits.name}' has shape ${shapeText(s)}`);
    }
  }
  if (manifest.featureOutput !== null && !model.outputs.some((v) => v.name === manifest.featureOutput)) {
    fail('featureOutput', `'${manifest.featureOutput}' is not an output of ${manifest.file} (its outputs: ${names(model.outputs)})`);
  }
}

/**
 * A manifest for a bare `.onnx`: first input and first output, layout from the axis of size 3,
 * fixed size when the model's height and width are numbers, classes class-0..K-1 (all known),
 * ImageNet mean/std (the most common convention; the user should check it).
 */
export function proposeManifest(model: ModelSignature, file: string, facts: { sha256: string; sizeBytes: number }): SegmenterManifest {
  const fail = (field: string, problem: string): never => {
    throw new ManifestError(file, field, `${problem}; write a manifest for this model`);
  };
  const input = model.inputs[0];
  const output = model.outputs[0];
  if (!input) return fail('inputName', 'cannot be proposed: the model has no inputs');
  if (!output) return fail('logitsOutput', 'cannot be proposed: the model has no outputs');
  const s = input.shape ?? [];
  if (s.length !== 4) return fail('layout', `cannot be proposed: input '${input.name}' has shape ${shapeText(s)}, not 4 dimensions`);
  let layout: TensorLayout;
  if (dim(s[1]) === 3 && dim(s[3]) !== 3) layout = 'NCHW';
  else if (dim(s[3]) === 3 && dim(s[1]) !== 3) layout = 'NHWC';
  else if (dim(s[1]) === 3) layout = 'NCHW';
  else return fail('layout', `cannot be proposed: no axis of input '${input.name}' ${shapeText(s)} has 3 channels`);
  const [h, w] = layout === 'NCHW' ? [dim(s[2]), dim(s[3])] : [dim(s[1]), dim(s[2])];
  for (const [side, size] of [
    ['width', w],
    ['height', h],
  ] as const) {
    const problem = size === null ? null : inputSideProblem(size);
    // Not "write a manifest": no manifest can shrink a fixed input.
    if (problem) throw new ManifestError(file, `inputSize.${side}`, `of input '${input.name}' ${shapeText(s)} ${problem}`);
  }
  const o = output.shape ?? [];
  const k = o.length === 4 ? dim(layout === 'NCHW' ? o[1] : o[3]) : null;
  if (k === null || k < 2) return fail('classes', `cannot be proposed: output '${output.name}' has shape ${shapeText(o)}, no class axis`);
  const classes = Array.from({ length: k }, (_, i) => ({ name: `class-${i}` }));
  return {
    name: file.replace(/\.onnx$/i, ''),
    file,
    inputName: input.name,
    layout,
    inputSize: h !== null && w !== null ? { width: w, height: h } : 'dynamic',
    normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    logitsOutput: output.name,
    featureOutput: null,
    featureStatistics: null,
    classes,
    knownClasses: classes.map((c) => c.name),
    catchAll: null,
    license: 'unknown',
    sourceUrl: '',
    sha256: facts.sha256,
    sizeBytes: facts.sizeBytes,
  };
}
