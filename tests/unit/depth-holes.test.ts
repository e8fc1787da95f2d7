/**
 * Holes in sensor depth: filled from their rim's plane when they are small dropouts inside one
 * surface, left out when they are large or hide a depth step (the band beside an object's edge).
 */
import { describe, expect, it } from 'vitest';
import { fillPlanarHoles, type HoleFilling } from '../../src/discover/depth-holes.ts';

const W = 64;
const H = 48;
const INTRINSICS = { fx: 60, fy: 60, cx: W / 2, cy: H / 2 };
const FILLING: HoleFilling = { noiseAtOneMetre: 0.0015, largestHole: 200, tear: (z) => 0.005 * z + 0.002 };

/** z-depth of the plane z = z0 + slope·y_camera (a wall tilted away upwards), per pixel. */
function tiltedWall(z0: number, slope: number): Float32Array {
  const depth = new Float32Array(W * H);
  for (let j = 0; j < H; j++) {
    const ry = (j + 0.5 - INTRINSICS.cy) / INTRINSICS.fy;
    for (let i = 0; i < W; i++) depth[j * W + i] = z0 / (1 - slope * ry);
  }
  return depth;
}

function punch(depth: Float32Array, i0: number, j0: number, size: number): number[] {
  const pixels: number[] = [];
  for (let j = j0; j < j0 + size; j++) {
    for (let i = i0; i < i0 + size; i++) {
      depth[j * W + i] = 0;
      pixels.push(j * W + i);
    }
  }
  return pixels;
}

describe('filling holes in sensor depth', () => {
  it("fills a small hole inside a plane with the plane's depth", () => {
    const truth = tiltedWall(2, 0.3);
    const depth = truth.slice();
    const hole = punch(depth, 20, 15, 6);
    const filled = fillPlanarHoles(depth, W, H, INTRINSICS, FILLING);
    for (const p of hole) expect(filled[p]).toBeCloseTo(truth[p]!, 4);
    expect(depth[hole[0]!]).toBe(0);
  });

  it('leaves a hole larger than largestHole', () => {
    const depth = tiltedWall(2, 0.3);
    const hole = punch(depth, 10, 10, 16);
    const filled = fillPlanarHoles(depth, W, H, INTRINSICS, FILLING);
    for (const p of hole) expect(filled[p]).toBe(0);
  });

  it.each([
    ['ends inside the frame', 10],
    ['runs the height of the frame', 0],
  ])('leaves a band without depth between an object and the wall behind it (the band %s)', (_, margin) => {
    // An object 1.5 m away on the left, the wall at 2.5 m on the right, a 3-pixel band between,
    // small enough to fill by size: only its rim tells it from a dropout. Running the height of
    // the frame, the rim is two parallel lines, which one plane (seen edge-on) fits exactly.
    const depth = new Float32Array(W * H);
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const band = i >= 30 && i < 33 && j >= margin && j < H - margin;
        depth[j * W + i] = band ? 0 : i < 31 ? 1.5 : 2.5;
      }
    }
    const filled = fillPlanarHoles(depth, W, H, INTRINSICS, FILLING);
    for (let j = margin; j < H - margin; j++) for (let i = 30; i < 33; i++) expect(filled[j * W + i]).toBe(0);
  });
});
