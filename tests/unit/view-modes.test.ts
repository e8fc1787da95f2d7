import { rgb as parseColour } from 'd3-color';
import { interpolateInferno, interpolateMagma, interpolateViridis } from 'd3-scale-chromatic';
import { describe, expect, it } from 'vitest';
import {
  DEPTH_BACKGROUND,
  fitPca,
  meanAbsoluteError,
  NOTHING_COLOUR,
  pixelEmbedding,
  renderViewMode,
  similarityMap,
  VIEW_MODES,
  type Rgb8,
  type ViewImage,
  type ViewModeContext,
} from '../../src/viewer/view-modes.ts';

/** A deterministic generator for the synthetic views. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A view of `width` x `height` with k classes, every pixel opaque, uniform probabilities, depth 1. */
function blankView(width: number, height: number, k: number): ViewImage {
  const n = width * height;
  return {
    width,
    height,
    k,
    rgb: new Float32Array(3 * n),
    depth: new Float32Array(n).fill(1),
    opacity: new Float32Array(n).fill(1),
    probs: new Float32Array(k * n).fill(1 / k),
    entropyNormalised: new Float32Array(n),
  };
}

function softmaxInto(logits: number[], out: Float32Array, offset: number): void {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  e.forEach((v, c) => (out[offset + c] = v / sum));
}

/** Class colours that differ for every id (and from the ground truth's). */
const classColour = (id: number): Rgb8 => [(40 * id + 20) % 256, (90 * id + 200) % 256, (150 * id + 60) % 256];
const gtColour = (id: number): Rgb8 => [(70 * id) % 256, (30 * id + 100) % 256, 255 - ((50 * id) % 256)];

const css = (s: string): Rgb8 => {
  const c = parseColour(s);
  return [c.r, c.g, c.b];
};
const pixel = (img: Uint8ClampedArray, i: number): number[] => Array.from(img.subarray(4 * i, 4 * i + 3));
const luminance = (c: number[]): number => 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;

/** A 6 x 5 view with something in every channel, and a context with every input. */
function richScene(): { view: ViewImage; context: ViewModeContext } {
  const w = 6;
  const h = 5;
  const k = 5;
  const view = blankView(w, h, k);
  const rand = random(7);
  const n = w * h;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) view.rgb[3 * i + c] = rand();
    view.opacity[i] = i % 7 === 0 ? 0.01 : 0.6 + 0.4 * rand();
    view.depth[i] = view.opacity[i]! * (1 + 3 * rand());
    softmaxInto(
      Array.from({ length: k }, () => 4 * rand()),
      view.probs,
      i * k,
    );
    view.entropyNormalised[i] = rand();
  }
  const classes = Int32Array.from({ length: n }, (_, i) => (i % 9 === 0 ? -1 : (i * 5) % 8));
  const labels = Uint16Array.from({ length: n }, (_, i) => (i * 3) % 6);
  const photo = Float32Array.from(view.rgb, (v, j) => (j % 4 === 0 ? 1 - v : v));
  const context: ViewModeContext = { classColour, classes, groundTruth: { labels, colour: gtColour }, photo };
  context.pca = fitPca(view);
  return { view, context };
}

describe('view modes', () => {
  it('lists the eight modes in the viewer order', () => {
    expect(VIEW_MODES.map((m) => m.id)).toEqual(['rgb', 'depth', 'semantics', 'entropy', 'classes', 'pca', 'ground-truth', 'error']);
    for (const m of VIEW_MODES) expect(m.label.length).toBeGreaterThan(0);
  });

  it('gives width * height RGBA pixels, opaque, in every mode; the eight images all differ', () => {
    const { view, context } = richScene();
    const images = VIEW_MODES.map(({ id }) => renderViewMode(id, view, context));
    for (const img of images) {
      expect(img).toBeInstanceOf(Uint8ClampedArray);
      expect(img.length).toBe(view.width * view.height * 4);
      for (let i = 3; i < img.length; i += 4) expect(img[i]).toBe(255);
    }
    for (let a = 0; a < images.length; a++)
      for (let b = a + 1; b < images.length; b++) expect(images[a], `${VIEW_MODES[a]!.id} vs ${VIEW_MODES[b]!.id}`).not.toEqual(images[b]);
  });

  it('rgb: bytes round trip, out-of-range values clamped', () => {
    const view = blankView(4, 1, 2);
    view.rgb.set([0, 1 / 255, 2 / 255, 100 / 255, 128 / 255, 200 / 255, 1, 254 / 255, 253 / 255, -0.5, 1.5, 0.5]);
    const img = renderViewMode('rgb', view, { classColour });
    expect(Array.from(img)).toEqual([0, 1, 2, 255, 100, 128, 200, 255, 255, 254, 253, 255, 0, 255, 128, 255]);
  });

  it('depth: divided by opacity, near brighter than far, transparent pixels background', () => {
    const view = blankView(4, 1, 2);
    view.opacity.set([1, 0.5, 1, 0.01]);
    // Surface depths: 1, 1 (0.5 / 0.5), 3; the last pixel is empty.
    view.depth.set([1, 0.5, 3, 0.005]);
    const img = renderViewMode('depth', view, { classColour });
    expect(pixel(img, 1)).toEqual(pixel(img, 0));
    expect(luminance(pixel(img, 0))).toBeGreaterThan(luminance(pixel(img, 2)) + 50);
    expect(pixel(img, 3)).toEqual([...DEPTH_BACKGROUND]);
    // The two ends of the range are the colour map's ends.
    expect(pixel(img, 0)).toEqual(css(interpolateViridis(1)));
    expect(pixel(img, 2)).toEqual(css(interpolateViridis(0)));
  });

  it('depth: a single far outlier does not take over the colour range', () => {
    const view = blankView(101, 1, 2);
    for (let i = 0; i < 100; i++) view.depth[i] = 1 + i / 99;
    view.depth[100] = 1000;
    const img = renderViewMode('depth', view, { classColour });
    // Depth 1.5 sits mid-range (2nd..98th percentiles ≈ 1.02..1.98), not crushed to the near end.
    view.depth[50] = 1.5;
    const mid = pixel(renderViewMode('depth', view, { classColour }), 50);
    const expected = css(interpolateViridis(0.5));
    for (let c = 0; c < 3; c++) expect(Math.abs(mid[c]! - expected[c]!)).toBeLessThanOrEqual(4);
    expect(pixel(img, 100)).toEqual(css(interpolateViridis(0)));
  });

  it('entropy: 0 and 1 are the ends of inferno, on a fixed scale', () => {
    const view = blankView(3, 1, 2);
    view.entropyNormalised.set([0, 1, 0.5]);
    const img = renderViewMode('entropy', view, { classColour });
    expect(pixel(img, 0)).toEqual(css(interpolateInferno(0)));
    expect(pixel(img, 1)).toEqual(css(interpolateInferno(1)));
    // Fixed scale: 0.5 is inferno(0.5) whatever the view's range.
    const half = css(interpolateInferno(0.5));
    pixel(img, 2).forEach((v, c) => expect(Math.abs(v - half[c]!)).toBeLessThanOrEqual(2));
  });

  it('semantics: argmax class colour, darkened where the field is empty', () => {
    const view = blankView(3, 1, 4);
    view.probs.set([0.1, 0.2, 0.6, 0.1, /**/ 0.7, 0.1, 0.1, 0.1, /**/ 0.1, 0.2, 0.6, 0.1]);
    view.opacity.set([1, 1, 0.5]);
    const img = renderViewMode('semantics', view, { classColour });
    expect(pixel(img, 0)).toEqual(classColour(2));
    expect(pixel(img, 1)).toEqual(classColour(0));
    pixel(img, 2).forEach((v, c) => expect(v).toBe(Math.round(classColour(2)[c]! * 0.5)));
    view.opacity[0] = 0;
    expect(pixel(renderViewMode('semantics', view, { classColour }), 0)).toEqual([0, 0, 0]);
  });

  it('classes: colours the given class map (novel ids too), -1 dark grey', () => {
    const view = blankView(4, 1, 3);
    const classes = Int32Array.from([2, 5, -1, 0]);
    const img = renderViewMode('classes', view, { classColour, classes });
    expect(pixel(img, 0)).toEqual(classColour(2));
    expect(pixel(img, 1)).toEqual(classColour(5));
    expect(pixel(img, 2)).toEqual([...NOTHING_COLOUR]);
    expect(pixel(img, 3)).toEqual(classColour(0));
  });

  it('ground-truth: label colours, void black', () => {
    const view = blankView(3, 1, 3);
    const img = renderViewMode('ground-truth', view, {
      classColour,
      groundTruth: { labels: Uint16Array.from([0, 4, 11]), colour: gtColour },
    });
    expect(pixel(img, 0)).toEqual([0, 0, 0]);
    expect(pixel(img, 1)).toEqual(gtColour(4));
    expect(pixel(img, 2)).toEqual(gtColour(11));
  });

  it('error: zero for the identical photo, saturates at 0.5; meanAbsoluteError by hand', () => {
    const view = blankView(3, 1, 2);
    view.rgb.set([0.2, 0.4, 0.6, 0, 0, 0, 0, 0, 0]);
    const zero = renderViewMode('error', view, { classColour, photo: Float32Array.from(view.rgb) });
    for (let i = 0; i < 3; i++) expect(pixel(zero, i)).toEqual(css(interpolateMagma(0)));
    const photo = Float32Array.from([0.2, 0.4, 0.6, 0.5, 0.5, 0.5, 1, 1, 1]);
    const img = renderViewMode('error', view, { classColour, photo });
    expect(pixel(img, 1)).toEqual(css(interpolateMagma(1)));
    expect(pixel(img, 2)).toEqual(css(interpolateMagma(1)));

    // |diff| = 0.1, 0.2, 0.3 | 0, 0.5, 0 → 1.1 / 6.
    expect(meanAbsoluteError(Float32Array.from([0, 0, 0, 1, 1, 1]), Float32Array.from([0.1, 0.2, 0.3, 1, 0.5, 1]))).toBeCloseTo(1.1 / 6, 6);
    expect(meanAbsoluteError(view.rgb, view.rgb)).toBe(0);
    expect(() => meanAbsoluteError(new Float32Array(3), new Float32Array(6))).toThrow(/meanAbsoluteError/);
  });

  it('pca: the first component is the direction the log-probabilities vary along; projections spread', () => {
    const k = 9;
    const w = 40;
    const h = 30;
    const view = blankView(w, h, k);
    const rand = random(3);
    // A known direction, with entries summing to zero (the log-probabilities are only known up to a
    // per-pixel constant, so nothing along all-ones can be seen).
    const raw = [3, -1, 2, 0, -2, 1, -3, 0.5, -0.5];
    const norm = Math.hypot(...raw);
    const d = raw.map((v) => v / norm);
    const base = Array.from({ length: k }, () => rand());
    const s = new Float64Array(w * h);
    for (let i = 0; i < w * h; i++) {
      s[i] = 4 * (rand() - 0.5);
      // Along d, plus a little noise in every class.
      softmaxInto(
        base.map((b, c) => b + s[i]! * d[c]! + 0.05 * (rand() - 0.5)),
        view.probs,
        i * k,
      );
      // Transparent pixels with wild probabilities along another direction must not count.
      if (i % 5 === 0) {
        view.opacity[i] = 0.1;
        softmaxInto(
          base.map((b, c) => b + 8 * (rand() - 0.5) * (c === 3 ? 1 : c === 4 ? -1 : 0)),
          view.probs,
          i * k,
        );
      }
    }
    const basis = fitPca(view, { samples: 500, seed: 11 });
    expect(basis.mean.length).toBe(k);
    expect(basis.components.length).toBe(3 * k);
    const first = Array.from(basis.components.subarray(0, k));
    const cos = first.reduce((a, v, c) => a + v * d[c]!, 0) / Math.hypot(...first);
    expect(Math.abs(cos)).toBeGreaterThan(0.99);
    // Unit, orthogonal components; the sign convention: largest-magnitude entry positive.
    for (let p = 0; p < 3; p++) {
      const comp = Array.from(basis.components.subarray(p * k, (p + 1) * k));
      expect(Math.hypot(...comp)).toBeCloseTo(1, 4);
      const big = comp.reduce((b, v, c) => (Math.abs(v) > Math.abs(comp[b]!) ? c : b), 0);
      expect(comp[big]).toBeGreaterThan(0);
      for (let q = 0; q < p; q++) expect(Math.abs(comp.reduce((a, v, c) => a + v * basis.components[q * k + c]!, 0))).toBeLessThan(1e-4);
    }
    // s spans -2..2 along a unit direction: the 2nd..98th percentiles span most of that.
    expect(basis.high[0] - basis.low[0]).toBeGreaterThan(3);
    expect(basis.high[1] - basis.low[1]).toBeLessThan(0.5);
    // Deterministic.
    expect(fitPca(view, { samples: 500, seed: 11 })).toEqual(basis);

    // Red follows s (or its opposite, as the sign convention decides) over the opaque pixels.
    const img = renderViewMode('pca', view, { classColour, pca: basis });
    const sign = first.reduce((a, v, c) => a + v * d[c]!, 0) > 0 ? 1 : -1;
    const opaque = Array.from({ length: w * h }, (_, i) => i).filter((i) => i % 5 !== 0);
    const lowest = opaque.reduce((a, i) => (sign * s[i]! < sign * s[a]! ? i : a));
    const highest = opaque.reduce((a, i) => (sign * s[i]! > sign * s[a]! ? i : a));
    expect(img[4 * lowest]).toBe(0);
    expect(img[4 * highest]).toBe(255);
  });

  it('missing inputs throw, naming the mode', () => {
    const view = blankView(2, 2, 3);
    expect(() => renderViewMode('classes', view, { classColour })).toThrow(/'classes'/);
    expect(() => renderViewMode('pca', view, { classColour })).toThrow(/'pca'/);
    expect(() => renderViewMode('ground-truth', view, { classColour })).toThrow(/'ground-truth'.*this scan has no ground-truth labels/);
    expect(() => renderViewMode('error', view, { classColour })).toThrow(/'error'/);
    expect(() => renderViewMode('classes', view, { classColour, classes: new Int32Array(3) })).toThrow(/'classes'.*3 values, expected 4/);
    expect(() => renderViewMode('pca', view, { classColour, pca: fitPca(blankView(2, 2, 4)) })).toThrow(/'pca'.*4 classes/);
  });

  it('the similar view: cosine of centred logits, 1 on the clicked class, 0 on the opposite one', () => {
    // Three pixels with logits [a, b, c]: two of class 0 (different confidence), one of class 1,
    // one uniform (no direction at all).
    const view = blankView(4, 1, 3);
    softmaxInto([3, 0, 0], view.probs, 0);
    softmaxInto([1, 0, 0], view.probs, 3);
    softmaxInto([0, 3, 0], view.probs, 6);
    const clicked = pixelEmbedding(view, 0);
    // log softmax centred: the logits minus their mean.
    expect(Array.from(clicked)).toEqual([2, -1, -1].map((v) => expect.closeTo(v, 5)));
    const map = similarityMap(view, clicked);
    expect(map[0]).toBeCloseTo(1, 5);
    // Same direction, less peaked: still 1 (cosine ignores the scale).
    expect(map[1]).toBeCloseTo(1, 5);
    // [2,-1,-1]·[-1,2,-1] / 6 = -0.5: shown as 0.
    expect(map[2]).toBe(0);
    // A uniform pixel has no embedding direction.
    expect(map[3]).toBe(0);
    expect(() => similarityMap(view, new Float64Array(2))).toThrow(/2 entries, the view 3/);
  });
});
