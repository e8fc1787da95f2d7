/**
 * Image quality of a rendered view against its photograph, as NeRF papers report it: PSNR over
 * every pixel (values 0..1), and SSIM with an 11-tap Gaussian window (sigma 1.5), computed per
 * colour channel and averaged, over the window positions that lie inside the image (the "valid"
 * convolution of mip-NeRF's and nerfstudio's evaluation). Written here rather than taken from an
 * npm package: the packages at hand compute SSIM on luminance and downsample large images first,
 * which gives other numbers than the papers'.
 */

/** RGB 0..1, 3 values per pixel, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Float32Array;
}

/** Mean squared error over the pixels `keep` marks (every pixel without it), all three channels. */
export function meanSquaredError(a: RgbImage, b: RgbImage, keep?: Uint8Array): { mse: number; pixels: number } {
  checkSameSize(a, b);
  let se = 0;
  let pixels = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    if (keep && !keep[p]) continue;
    for (let c = 0; c < 3; c++) {
      const d = a.rgb[p * 3 + c]! - b.rgb[p * 3 + c]!;
      se += d * d;
    }
    pixels++;
  }
  return { mse: pixels > 0 ? se / (pixels * 3) : NaN, pixels };
}

/** PSNR (dB) of values in 0..1 with this mean squared error (capped at 120 dB for a perfect match). */
export function psnrFromMse(mse: number): number {
  return -10 * Math.log10(Math.max(mse, 1e-12));
}

const WINDOW = 11;
const SIGMA = 1.5;
// Stabilisers of Wang et al. 2004 for a dynamic range of 1.
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

const GAUSSIAN = (() => {
  const w = Float64Array.from({ length: WINDOW }, (_, i) => Math.exp(-((i - (WINDOW - 1) / 2) ** 2) / (2 * SIGMA * SIGMA)));
  const sum = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / sum);
})();

/**
 * Mean SSIM over the channels and the window positions. Images smaller than the window in either
 * direction have no valid position: NaN.
 */
export function ssim(a: RgbImage, b: RgbImage): number {
  checkSameSize(a, b);
  const { width: w, height: h } = a;
  const ow = w - WINDOW + 1;
  const oh = h - WINDOW + 1;
  if (ow < 1 || oh < 1) return NaN;
  let total = 0;
  const x = new Float64Array(w * h);
  const y = new Float64Array(w * h);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < w * h; p++) {
      x[p] = a.rgb[p * 3 + c]!;
      y[p] = b.rgb[p * 3 + c]!;
    }
    // The five local moments, each a separable Gaussian filter: rows first, then columns.
    const moments = [x, y, product(x, x), product(y, y), product(x, y)].map((m) => filterColumns(filterRows(m, w, h, ow), ow, h, oh));
    const [mx, my, xx, yy, xy] = moments as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    let sum = 0;
    for (let p = 0; p < ow * oh; p++) {
      const mux = mx[p]!;
      const muy = my[p]!;
      const vx = xx[p]! - mux * mux;
      const vy = yy[p]! - muy * muy;
      const cov = xy[p]! - mux * muy;
      sum += ((2 * mux * muy + C1) * (2 * cov + C2)) / ((mux * mux + muy * muy + C1) * (vx + vy + C2));
    }
    total += sum / (ow * oh);
  }
  return total / 3;
}

function product(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v * b[i]!);
}

function filterRows(src: Float64Array, w: number, h: number, ow: number): Float64Array {
  const out = new Float64Array(ow * h);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < ow; i++) {
      let s = 0;
      for (let t = 0; t < WINDOW; t++) s += GAUSSIAN[t]! * src[j * w + i + t]!;
      out[j * ow + i] = s;
    }
  }
  return out;
}

function filterColumns(src: Float64Array, w: number, h: number, oh: number): Float64Array {
  const out = new Float64Array(w * oh);
  for (let j = 0; j < oh; j++) {
    for (let i = 0; i < w; i++) {
      let s = 0;
      for (let t = 0; t < WINDOW; t++) s += GAUSSIAN[t]! * src[(j + t) * w + i]!;
      out[j * w + i] = s;
    }
  }
  return out;
}

function checkSameSize(a: RgbImage, b: RgbImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`images of different sizes: ${a.width}x${a.height} and ${b.width}x${b.height}`);
  }
  for (const img of [a, b]) {
    if (img.rgb.length !== img.width * img.height * 3)
      throw new RangeError(`an RGB image of ${img.width}x${img.height} needs ${img.width * img.height * 3} values, got ${img.rgb.length}`);
  }
}
