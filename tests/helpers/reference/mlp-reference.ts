/**
 * A plain CPU MLP (f64), the same network as shaders/mlp.wgsl, with its exact backward pass.
 * Weights are plain row-major W_l[out][in], layer after layer (unpackWeights of the stored ones).
 */
import type { MlpLayout } from '../../../src/field/mlp.ts';

function plainOffset(layout: MlpLayout, layer: number): number {
  let at = 0;
  for (let l = 0; l < layer; l++) at += layout.dims[l]! * layout.dims[l + 1]!;
  return at;
}

export function forwardReference(layout: MlpLayout, w: Float32Array, input: ArrayLike<number>): { output: number[]; acts: number[][] } {
  let a = Array.from(input);
  const acts: number[][] = [];
  const L = layout.dims.length - 1;
  for (let l = 0; l < L; l++) {
    acts.push(a);
    const inDim = layout.dims[l]!;
    const outDim = layout.dims[l + 1]!;
    const next: number[] = [];
    for (let o = 0; o < outDim; o++) {
      let sum = 0;
      for (let k = 0; k < inDim; k++) sum += w[plainOffset(layout, l) + o * inDim + k]! * a[k]!;
      next.push(l + 1 === L ? sum : Math.max(sum, 0));
    }
    a = next;
  }
  return { output: a, acts };
}

/** d(loss)/d(input) and d(loss)/d(weights) (summed over samples) for loss = sum(dOut * output). */
export function backwardReference(
  layout: MlpLayout,
  w: Float32Array,
  inputs: Float32Array,
  dOutputs: Float32Array,
): { dInputs: Float64Array; dWeights: Float64Array } {
  const inDim = layout.dims[0]!;
  const outDim = layout.dims[layout.dims.length - 1]!;
  const n = inputs.length / inDim;
  const dInputs = new Float64Array(inputs.length);
  const dWeights = new Float64Array(layout.parameterCount);
  for (let s = 0; s < n; s++) {
    const { acts } = forwardReference(layout, w, inputs.subarray(s * inDim, (s + 1) * inDim));
    let d = Array.from(dOutputs.subarray(s * outDim, (s + 1) * outDim));
    for (let l = layout.dims.length - 2; l >= 0; l--) {
      const i = layout.dims[l]!;
      const o = layout.dims[l + 1]!;
      const a = acts[l]!;
      const prev: number[] = new Array(i).fill(0);
      for (let r = 0; r < o; r++) {
        for (let k = 0; k < i; k++) {
          dWeights[plainOffset(layout, l) + r * i + k] += d[r]! * a[k]!;
          prev[k] += w[plainOffset(layout, l) + r * i + k]! * d[r]!;
        }
      }
      d = prev.map((v, k) => (l > 0 && !(a[k]! > 0) ? 0 : v));
    }
    dInputs.set(d, s * inDim);
  }
  return { dInputs, dWeights };
}
