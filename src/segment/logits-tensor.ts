/**
 * Model output to a channel-major map. Segmenters put the class axis first (NCHW, PyTorch
 * exports) or last (NHWC, TensorFlow exports), and not always as their input does; the axis is
 * found from the output's dims and the class count, the input layout breaking a tie.
 */
import { classAxis } from './manifest-check.ts';
import type { FeatureMap } from './feature-query.ts';
import type { TensorLayout } from './segmenter-manifest.ts';

export function outputToMap(
  name: string,
  dims: readonly number[],
  data: Float32Array,
  channels: number | null,
  prefer: TensorLayout,
): FeatureMap {
  if (dims.length !== 4 || dims[0] !== 1) {
    throw new Error(`output '${name}' has dims [${dims.join(', ')}]; expected [1, K, H, W] or [1, H, W, K]`);
  }
  // A feature output has no class count to match: take the layout the input uses.
  const axis = channels === null ? (prefer === 'NCHW' ? 1 : 3) : classAxis(dims, channels, prefer);
  if (axis === null) throw new Error(`output '${name}' has dims [${dims.join(', ')}]; no axis of ${channels} classes`);
  // A NaN here would become the field's training target and poison every step after it.
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new Error(
      `output '${name}' holds ${Number.isNaN(data[bad]) ? 'NaN' : 'an infinity'} at element ${bad}: the model is broken, or its input is not scaled as it expects`,
    );
  if (axis === 1) return { channels: dims[1]!, height: dims[2]!, width: dims[3]!, data };
  const [height, width, k] = [dims[1]!, dims[2]!, dims[3]!];
  const n = width * height;
  const out = new Float32Array(data.length);
  for (let p = 0; p < n; p++) for (let c = 0; c < k; c++) out[c * n + p] = data[p * k + c]!;
  return { channels: k, width, height, data: out };
}
