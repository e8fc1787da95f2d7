/**
 * Feature query: a per-pixel K-channel map (logits, probabilities, a feature map, a rendered
 * embedding) sampled bilinearly at arbitrary sub-pixel positions. The field's supervision reads
 * the segmenter's output where a training ray leaves the camera, which is rarely a pixel centre.
 *
 * Positions are continuous pixel coordinates, the project's convention (src/scan/scan.ts): pixel
 * (i, j) covers [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5), so sampling at a centre
 * returns that pixel exactly. Outside the outermost centres the value is clamped to the border
 * pixels (no fading to zero, which would invent a class-less rim).
 */

/** K channels of width x height values, channel-major: value (c, x, y) at data[(c * height + y) * width + x]. */
export interface FeatureMap {
  channels: number;
  width: number;
  height: number;
  data: Float32Array;
}

/** The two neighbouring pixel indices and the weight of the second one, for a coordinate on one axis. */
export interface AxisSample {
  i0: number;
  i1: number;
  t: number;
}

/** Bilinear taps along one axis of `size` pixels at continuous coordinate `x`, clamped at the edges. */
export function axisSample(x: number, size: number): AxisSample {
  const f = x - 0.5;
  const base = Math.floor(f);
  const t = f - base;
  const clamp = (i: number): number => (i < 0 ? 0 : i > size - 1 ? size - 1 : i);
  return { i0: clamp(base), i1: clamp(base + 1), t };
}

/**
 * Samples every channel of `map` at (x, y), writing K values to `out` (allocated if not given).
 * Coordinates are in the map's own pixels; `frame` gives them in another resolution's pixels
 * instead (e.g. a feature map at 1/8 of the frame, queried at frame pixels): the image's edges
 * line up, so coordinates scale by size ratio.
 */
export function sampleFeatures(
  map: FeatureMap,
  x: number,
  y: number,
  out: Float32Array = new Float32Array(map.channels),
  frame?: { width: number; height: number },
): Float32Array {
  const { width, height, channels, data } = map;
  const u = frame ? (x * width) / frame.width : x;
  const v = frame ? (y * height) / frame.height : y;
  const sx = axisSample(u, width);
  const sy = axisSample(v, height);
  const w00 = (1 - sx.t) * (1 - sy.t);
  const w10 = sx.t * (1 - sy.t);
  const w01 = (1 - sx.t) * sy.t;
  const w11 = sx.t * sy.t;
  const plane = width * height;
  const r0 = sy.i0 * width;
  const r1 = sy.i1 * width;
  for (let c = 0; c < channels; c++) {
    const o = c * plane;
    out[c] = w00 * data[o + r0 + sx.i0]! + w10 * data[o + r0 + sx.i1]! + w01 * data[o + r1 + sx.i0]! + w11 * data[o + r1 + sx.i1]!;
  }
  return out;
}

/**
 * Resizes a whole channel-major map to another size with the same sampling (each output pixel
 * centre mapped into the source): the segmenter's logits go from the model's resolution to the
 * training resolution this way.
 */
export function resizeFeatureMap(map: FeatureMap, width: number, height: number): FeatureMap {
  const xs = Array.from({ length: width }, (_, i) => axisSample(((i + 0.5) * map.width) / width, map.width));
  const ys = Array.from({ length: height }, (_, j) => axisSample(((j + 0.5) * map.height) / height, map.height));
  const data = new Float32Array(map.channels * width * height);
  const srcPlane = map.width * map.height;
  for (let c = 0; c < map.channels; c++) {
    const src = map.data.subarray(c * srcPlane, (c + 1) * srcPlane);
    let o = c * width * height;
    for (let j = 0; j < height; j++) {
      const sy = ys[j]!;
      const r0 = sy.i0 * map.width;
      const r1 = sy.i1 * map.width;
      for (let i = 0; i < width; i++, o++) {
        const sx = xs[i]!;
        const top = src[r0 + sx.i0]! + (src[r0 + sx.i1]! - src[r0 + sx.i0]!) * sx.t;
        const bottom = src[r1 + sx.i0]! + (src[r1 + sx.i1]! - src[r1 + sx.i0]!) * sx.t;
        data[o] = top + (bottom - top) * sy.t;
      }
    }
  }
  return { channels: map.channels, width, height, data };
}
