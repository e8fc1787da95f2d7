/**
 * What the benchmark scores a field with: the held-out split of the NeRF protocol, and PSNR and
 * SSIM over whole frames, against values worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { meanSquaredError, psnrFromMse, ssim, type RgbImage } from '../../src/eval/image-quality.ts';
import { holdOutEvery } from '../../src/run/held-out-frames.ts';

const named = (names: string[]) => names.map((name) => ({ name }));

function image(width: number, height: number, value: (i: number, j: number, c: number) => number): RgbImage {
  const rgb = new Float32Array(width * height * 3);
  for (let j = 0; j < height; j++)
    for (let i = 0; i < width; i++) for (let c = 0; c < 3; c++) rgb[(j * width + i) * 3 + c] = value(i, j, c);
  return { width, height, rgb };
}

describe('the held-out split', () => {
  it('holds out the first frame and every 8th after it, in the order of the frame numbers', () => {
    const frames = named(Array.from({ length: 17 }, (_, i) => `rgb/rgb_${i}.png`));
    expect(holdOutEvery(frames, 8)).toEqual({ train: [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15], test: [0, 8, 16] });
  });

  it('follows the numbers, not the list order nor the text order of the names', () => {
    // A transforms.json may list its frames in any order; frame_10 comes after frame_9.
    const frames = named(['images/frame_10.jpg', 'images/frame_2.jpg', 'images/frame_9.jpg', 'images/frame_1.jpg']);
    // Number order: 1 (index 3), 2 (1), 9 (2), 10 (0); every 2nd from the first: 1 and 9.
    expect(holdOutEvery(frames, 2)).toEqual({ train: [0, 1], test: [2, 3] });
  });

  it('orders unnumbered names by text', () => {
    expect(holdOutEvery(named(['c.png', 'a.png', 'b.png']), 2)).toEqual({ train: [2], test: [0, 1] });
  });

  it('refuses a split that cannot hold anything out', () => {
    expect(() => holdOutEvery(named(['a.png', 'b.png']), 1)).toThrow(/n >= 2, got 1/);
    expect(() => holdOutEvery(named(['a.png']), 8)).toThrow(/at least 2 frames, the scan has 1/);
  });
});

describe('PSNR over whole frames', () => {
  it('is 20 dB for a uniform error of 0.1, counting only the kept pixels', () => {
    const a = image(4, 2, () => 0.5);
    const b = image(4, 2, (i) => (i < 2 ? 0.6 : 0.9));
    const keep = Uint8Array.from({ length: 8 }, (_, p) => (p % 4 < 2 ? 1 : 0));
    const { mse, pixels } = meanSquaredError(a, b, keep);
    expect(pixels).toBe(4);
    expect(psnrFromMse(mse)).toBeCloseTo(20, 4); // float32 pixels
    // Over every pixel: mean of 0.01 and 0.16.
    expect(meanSquaredError(a, b).mse).toBeCloseTo(0.085, 6);
  });
});

describe('SSIM', () => {
  const textured = image(24, 20, (i, j, c) => 0.5 + 0.4 * Math.sin(0.7 * i + 0.3 * c) * Math.cos(0.5 * j));

  it('is 1 for identical images', () => {
    expect(ssim(textured, textured)).toBeCloseTo(1, 12);
  });

  it('is the luminance term alone for two flat images: (2ab + C1) / (a² + b² + C1)', () => {
    const a = image(16, 16, () => 0.2);
    const b = image(16, 16, () => 0.6);
    const c1 = 0.0001;
    expect(ssim(a, b)).toBeCloseTo((2 * 0.2 * 0.6 + c1) / (0.04 + 0.36 + c1), 6);
  });

  it('is negative for an image with its contrast inverted, and falls with noise', () => {
    const inverted = image(24, 20, (i, j, c) => 1 - textured.rgb[(j * 24 + i) * 3 + c]!);
    expect(ssim(textured, inverted)).toBeLessThan(-0.5);
    const noisy = image(24, 20, (i, j, c) => textured.rgb[(j * 24 + i) * 3 + c]! + 0.1 * Math.sin(12.9898 * i + 78.233 * j + c * 3.1));
    const s = ssim(textured, noisy);
    expect(s).toBeGreaterThan(0.3);
    expect(s).toBeLessThan(0.99);
  });

  it('has no value for an image smaller than its window, and refuses images of different sizes', () => {
    expect(
      ssim(
        image(10, 30, () => 0),
        image(10, 30, () => 0),
      ),
    ).toBeNaN();
    expect(() =>
      ssim(
        image(12, 12, () => 0),
        image(12, 13, () => 0),
      ),
    ).toThrow(/different sizes: 12x12 and 12x13/);
  });
});
