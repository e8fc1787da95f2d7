/**
 * The inspector's arithmetic on a hand-made view: the clicked pixel, its surface point in the
 * scan's own coordinates (back-projected through the view's camera from depth over opacity, then
 * out of the normalised scene), nothing where the ray hit nothing, the segment under the pixel at
 * another resolution, and the likeliest class.
 */
import { describe, expect, it } from 'vitest';
import type { PreSegmentation } from '../../src/discover/pre-segmentation.ts';
import type { RenderedView, ViewCamera } from '../../src/field/view-renderer.ts';
import { probePixel } from '../../src/viewer/pixel-probe.ts';

// A 4 x 2 view, K = 3. Pixel 5 (x 1, y 1): opacity 0.5, expected depth 1 (so z = 2).
const view: RenderedView = {
  width: 4,
  height: 2,
  k: 3,
  rgb: new Float32Array(24),
  depth: Float32Array.from([0, 0, 0, 0, 0, 1, 0, 0]),
  opacity: Float32Array.from([0, 0, 0, 0, 0, 0.5, 0.01, 0]),
  probs: Float32Array.from(Array.from({ length: 8 }, (_, p) => (p === 5 ? [0.1, 0.7, 0.2] : [0.6, 0.2, 0.2])).flat()),
  entropy: Float32Array.from({ length: 8 }, (_, p) => p / 10),
  entropyNormalised: Float32Array.from({ length: 8 }, (_, p) => p / 20),
};
// Camera at (1, 2, 3) looking down +z (OpenCV), fx = fy = 2, principal point at the centre.
const camera: ViewCamera = { c2w: [1, 0, 0, 1, 0, 1, 0, 2, 0, 0, 1, 3], intrinsics: { fx: 2, fy: 2, cx: 2, cy: 1 }, width: 4, height: 2 };
const normalisation = { offset: [10, 20, 30] as [number, number, number], scale: 0.5 };

describe('pixel probe', () => {
  it('back-projects the clicked pixel into the scan’s coordinates', () => {
    // u, v anywhere inside pixel (1, 1).
    const probe = probePixel(view, camera, 0.3, 0.9, normalisation, null);
    expect([probe.x, probe.y, probe.pixel]).toEqual([1, 1, 5]);
    // Pixel centre (1.5, 1.5): x = (1.5 - 2) / 2 * 2 = -0.5, y = (1.5 - 1) / 2 * 2 = 0.5, z = 2;
    // world (normalised) = (0.5, 2.5, 5); scan = world / 0.5 + offset.
    expect(probe.point).toEqual([11, 25, 40]);
    expect(probe.depth).toBe(4);
    expect(probe.likeliest).toBe(1);
    expect(Array.from(probe.probs)).toEqual([0.1, 0.7, 0.2].map(Math.fround));
    expect(probe.entropy).toBeCloseTo(0.5, 6);
    expect(probe.entropyNormalised).toBeCloseTo(0.25, 6);
    // The embedding is the centred log-probabilities.
    const logs = [0.1, 0.7, 0.2].map((q) => Math.log(Math.fround(q)));
    const mean = logs.reduce((a, b) => a + b) / 3;
    probe.embedding.forEach((e, c) => expect(e).toBeCloseTo(logs[c]! - mean, 6));
  });

  it('has no point where the ray hit (almost) nothing, and keeps clicks on the border inside', () => {
    const probe = probePixel(view, camera, 1, 1, normalisation, null);
    expect([probe.x, probe.y]).toEqual([3, 1]);
    expect(probe.point).toBeNull();
    expect(probe.depth).toBeNull();
    expect(probePixel(view, camera, 0.6, 0.6, normalisation, null).point).toBeNull(); // opacity 0.01
  });

  it('finds the segment under the pixel in a segmentation of another resolution', () => {
    // 8 x 4 segments: the left half segment 0, the right half segment 1, the bottom-right corner none.
    const segments = Int32Array.from({ length: 32 }, (_, i) => (i % 8 < 4 ? 0 : i >= 24 && i % 8 >= 6 ? -1 : 1));
    const seg: PreSegmentation = { width: 8, height: 4, segments, count: 2, pixels: Uint32Array.from([16, 14]) };
    expect(probePixel(view, camera, 0.3, 0.9, normalisation, seg).segment).toBe(0);
    expect(probePixel(view, camera, 0.6, 0.2, normalisation, seg).segment).toBe(1);
    expect(probePixel(view, camera, 0.99, 0.99, normalisation, seg).segment).toBeNull();
  });
});
