/** The lens models against hand-worked values, the pinhole a fisheye is undistorted to, and nearest-sample remapping. */
import { describe, expect, it } from 'vitest';
import { FISHEYE_MAX_HALF_ANGLE, Lens, fisheye, radialTangential } from '../../src/scan/lens-distortion.ts';
import { resampleNearest, undistortRgba } from '../../src/scan/resample.ts';
import { distortImage, idealRay } from '../helpers/lens-images.ts';

/** Unit focal length, principal point at 0: image points are the distorted normalised coordinates. */
const unit = { fx: 1, fy: 1, cx: 0, cy: 0, width: 2, height: 2 };

function imagePoint(lens: Lens, x: number, y: number): number[] | null {
  const out = new Float64Array(2);
  return lens.imagePoint(x, y, out) ? Array.from(out) : null;
}

describe('radial-tangential', () => {
  it('k1 scales by 1 + k1 r²; k4 divides by 1 + k4 r² (OpenCV rational model)', () => {
    expect(imagePoint(new Lens(unit, radialTangential({ k1: 0.1 })), 1, 0)).toEqual([1.1, 0]);
    expect(imagePoint(new Lens(unit, radialTangential({ k2: 0.1, k3: 0.01 })), 0, 2)).toEqual([
      0,
      expect.closeTo(2 * (1 + 1.6 + 0.64), 12),
    ]);
    expect(imagePoint(new Lens(unit, radialTangential({ k4: 1 })), 1, 0)).toEqual([0.5, 0]);
  });

  it('p1 and p2 shift tangentially', () => {
    // x = 0, y = 0.5: x' = p2 r², y' = y + p1 (r² + 2 y²).
    const [xd, yd] = imagePoint(new Lens(unit, radialTangential({ p1: 0.01, p2: 0.02 })), 0, 0.5)!;
    expect(xd).toBeCloseTo(0.02 * 0.25, 15);
    expect(yd).toBeCloseTo(0.5 + 0.01 * 0.75, 15);
  });

  it('all zero is no lens at all', () => {
    expect(radialTangential({ k1: 0, p2: 0 })).toBeUndefined();
  });

  it('keeps the intrinsics as the undistorted pinhole', () => {
    const k = { fx: 30, fy: 31, cx: 32, cy: 24, width: 64, height: 48 };
    expect(new Lens(k, radialTangential({ k1: -0.2 })).undistortedPinhole()).toEqual(k);
  });
});

describe('fisheye (equidistant)', () => {
  it('puts a ray at angle θ at radius θ (1 + k1 θ² + ...)', () => {
    expect(imagePoint(new Lens(unit, fisheye({})), 1, 0)).toEqual([expect.closeTo(Math.PI / 4, 15), 0]);
    const t = Math.PI / 4;
    const [xd, yd] = imagePoint(new Lens(unit, fisheye({ k1: 0.1, k4: 0.01 })), 0, -1)!;
    expect(xd).toBeCloseTo(0, 15);
    expect(yd).toBeCloseTo(-t * (1 + 0.1 * t ** 2 + 0.01 * t ** 8), 15);
    // On the axis θd / r tends to 1.
    expect(imagePoint(new Lens({ ...unit, cx: 5 }, fisheye({ k1: 0.3 })), 0, 0)).toEqual([5, 0]);
  });

  it('does not image rays past the angle where the lens folds back', () => {
    // θd = θ - 0.5 θ³ turns back at θ = sqrt(2/3) = 0.816.
    const lens = new Lens(unit, fisheye({ k1: -0.5 }));
    expect(imagePoint(lens, Math.tan(0.8), 0)).not.toBeNull();
    expect(imagePoint(lens, Math.tan(0.84), 0)).toBeNull();
  });

  it('is undistorted to the pinhole whose edges look as far off axis as the narrower fisheye edges', () => {
    // 64x48, f 32, centred, k = 0: the edges are at θ = 1 rad (sides) and 0.75 rad (top, bottom).
    // The top edge limits: f' = 24 / tan(0.75).
    const k = new Lens({ fx: 32, fy: 32, cx: 32, cy: 24, width: 64, height: 48 }, fisheye({})).undistortedPinhole();
    expect(k.fx).toBeCloseTo(24 / Math.tan(0.75), 10);
    expect(k.fy).toBeCloseTo(24 / Math.tan(0.75), 10);
    expect([k.cx, k.cy, k.width, k.height]).toEqual([32, 24, 64, 48]);
  });

  it('caps the undistorted view at 60° off axis (a 180° lens)', () => {
    // f 10: the sides are at 3.2 rad, the top at 2.4 rad, both past 90°: both capped at 60°.
    const k = new Lens({ fx: 10, fy: 10, cx: 32, cy: 24, width: 64, height: 48 }, fisheye({})).undistortedPinhole();
    expect(FISHEYE_MAX_HALF_ANGLE).toBeCloseTo(Math.PI / 3, 15);
    expect(32 / k.fx).toBeCloseTo(Math.tan(Math.PI / 3), 10);
  });

  it("the test helper's inversion is the forward model's inverse", () => {
    const d = fisheye({ k1: 0.05, k2: -0.01, k3: 0.002, k4: -0.0005 });
    const lens = new Lens(unit, d);
    const [x, y] = idealRay(d, 0.6, -0.3)!;
    expect(imagePoint(lens, x, y)).toEqual([expect.closeTo(0.6, 12), expect.closeTo(-0.3, 12)]);
    const rt = radialTangential({ k1: -0.2, k2: 0.04, p1: 0.003, p2: -0.002, k3: 0.01, k4: 0.05 })!;
    const [u, v] = idealRay(rt, 0.4, 0.3)!;
    expect(imagePoint(new Lens(unit, rt), u, v)).toEqual([expect.closeTo(0.4, 10), expect.closeTo(0.3, 10)]);
  });
});

describe('nearest-sample remapping through a lens', () => {
  it('undistorts a label map to exactly the labels of the pinhole view, never blended', () => {
    const pinhole = { fx: 32, fy: 32, cx: 32, cy: 24, width: 64, height: 48 };
    // Vertical stripes 4 pixels wide, labels 1..16.
    const labels = Uint16Array.from({ length: 64 * 48 }, (_, p) => 1 + Math.floor((p % 64) / 4));
    const d = fisheye({ k1: 0.05, k2: -0.01 });
    const lensK = { ...pinhole, fx: 42, fy: 42 };
    const distorted = distortImage(labels, 1, pinhole, lensK, d, new Uint16Array(64 * 48));
    const lens = new Lens(lensK, d);
    const target = lens.undistortedPinhole();
    const out = resampleNearest(distorted, lensK, target, new Uint16Array(64 * 48), d);
    let same = 0;
    let inside = 0;
    for (let j = 0; j < 48; j++)
      for (let i = 0; i < 64; i++) {
        const label = out[j * 64 + i]!;
        expect(Number.isInteger(label) && label >= 0 && label <= 16).toBe(true);
        const u = Math.floor(((i + 0.5 - target.cx) / target.fx) * pinhole.fx + pinhole.cx);
        if (label === 0) continue;
        inside++;
        if (label === labels[u]) same++;
      }
    // Away from stripe edges the round trip lands on the same stripe; at edges it may pick the neighbour.
    expect(inside).toBeGreaterThan(0.9 * 64 * 48);
    expect(same / inside).toBeGreaterThan(0.9);
  });
});

describe('bilinear undistortion of a photo', () => {
  const k = { fx: 20, fy: 20, cx: 8, cy: 6, width: 16, height: 12 };
  // Opaque, every pixel its own colour: red = column * 16, green = row * 16.
  const photo = Uint8ClampedArray.from({ length: 16 * 12 * 4 }, (_, q) => {
    const p = q >> 2;
    return [(p % 16) * 16, Math.floor(p / 16) * 16, 200, 255][q & 3]!;
  });

  it('keeps the whole frame, its edge rows and columns included, through a lens that barely bends', () => {
    const out = undistortRgba(photo, new Lens(k, radialTangential({ k1: 1e-6 })));
    for (let p = 0; p < 16 * 12; p++) {
      expect(out[p * 4 + 3], `alpha at ${p % 16},${Math.floor(p / 16)}`).toBe(255);
      expect(Math.abs(out[p * 4]! - photo[p * 4]!), `red at ${p % 16},${Math.floor(p / 16)}`).toBeLessThanOrEqual(1);
      expect(Math.abs(out[p * 4 + 1]! - photo[p * 4 + 1]!), `green at ${p % 16},${Math.floor(p / 16)}`).toBeLessThanOrEqual(1);
    }
  });

  it('leaves transparent only the corners the lens does not reach', () => {
    // Pincushion (k1 > 0): the pinhole's corners look past the photo's corners.
    const out = undistortRgba(photo, new Lens(k, radialTangential({ k1: 0.5 })));
    const alpha = (i: number, j: number): number => out[(j * 16 + i) * 4 + 3]!;
    expect([alpha(0, 0), alpha(15, 0), alpha(0, 11), alpha(15, 11)]).toEqual([0, 0, 0, 0]);
    expect([alpha(8, 6), alpha(8, 0), alpha(1, 6)]).toEqual([255, 255, 255]);
  });
});
