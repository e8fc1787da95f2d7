/**
 * Holes in sensor depth (pixels a structured-light or time-of-flight camera returned no depth
 * for), filled where one surface runs through them. A hole is filled when it is small and the
 * pixels around it lie on one plane within the sensor's noise: then it is a dropout inside a
 * surface (a dark or shiny spot, speckle) and leaving it out would cut that surface apart. A hole
 * whose rim does not fit one plane is left as it is: it hides an edge, most often the shadow band
 * beside an object's silhouette, where the projector's pattern does not reach the background,
 * and filling it would bridge the object and the wall behind it.
 */
import { addPointMoments, fitPlane, MOMENTS, PLANE_SIZE, planeDistance, rayDepth } from './plane-fit.ts';

export interface HoleFilling {
  /** Depth noise (one standard deviation) at 1 m, growing with z². */
  noiseAtOneMetre: number;
  /** Holes with more pixels stay holes. */
  largestHole: number;
  /**
   * A rim pixel may stand this far off the rim's plane, added to 4 noise deviations at its depth.
   * The same tear allowance the pre-segmentation gives neighbours (depthJump·z + depthNoise).
   */
  tear: (z: number) => number;
}

/**
 * Holes on a surface seen more obliquely than this from its normal stay holes: their rim's depth
 * changes as fast as across a step of a few centimetres, and an unfilled hole costs only coverage.
 */
const STEEPEST = (75 * Math.PI) / 180;
const COS_STEEPEST = Math.cos(STEEPEST);
const TAN_STEEPEST = Math.tan(STEEPEST);

/** A copy of `depth` with its small planar holes filled by their rim's plane (pixels at the ray through their centre). */
export function fillPlanarHoles(
  depth: Float32Array,
  width: number,
  height: number,
  intrinsics: { fx: number; fy: number; cx: number; cy: number },
  filling: HoleFilling,
): Float32Array {
  const n = width * height;
  const out = depth.slice();
  const missing = (p: number): boolean => !(depth[p]! > 0 && depth[p]! < Infinity);
  const { fx, fy, cx, cy } = intrinsics;
  const rayX = (p: number): number => ((p % width) + 0.5 - cx) / fx;
  const rayY = (p: number): number => (Math.floor(p / width) + 0.5 - cy) / fy;
  // Hole pixels are numbered by their hole; rim pixels remember the last hole that counted them.
  const hole = new Int32Array(n).fill(-1);
  const rimOf = new Int32Array(n).fill(-1);
  const pixels: number[] = [];
  const rim: number[] = [];
  const moments = new Float64Array(MOMENTS);
  const plane = new Float64Array(PLANE_SIZE);
  const footprint = 1 / Math.min(fx, fy);
  const reached = new Int32Array(n).fill(-1);
  const chain: number[] = [];
  /**
   * Whether the rim of hole `id` (its pixels marked in rimOf) is one 8-connected ring without a
   * depth step between neighbours. A dropout inside a surface is ringed by that surface; the band
   * beside an object's edge has the object on one side and the background on the other, joined
   * (if at all) by a step at the band's ends, and a band reaching the frame's border or running
   * into another hole leaves its rim in pieces.
   */
  const rimIsOneSurface = (id: number): boolean => {
    chain.length = 0;
    chain.push(rim[0]!);
    reached[rim[0]!] = id;
    for (let k = 0; k < chain.length; k++) {
      const q = chain[k]!;
      const qi = q % width;
      const qj = (q - qi) / width;
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const i = qi + di;
          const j = qj + dj;
          if (i < 0 || i >= width || j < 0 || j >= height) continue;
          const r = j * width + i;
          if (rimOf[r] !== id) continue;
          const z = Math.min(depth[q]!, depth[r]!);
          const sigma = filling.noiseAtOneMetre * z * z;
          const allowed = filling.tear(z) + 6 * sigma + Math.SQRT2 * z * footprint * TAN_STEEPEST;
          if (Math.abs(depth[q]! - depth[r]!) > allowed) return false;
          if (reached[r] === id) continue;
          reached[r] = id;
          chain.push(r);
        }
      }
    }
    return chain.length === rim.length;
  };
  let holes = 0;
  for (let start = 0; start < n; start++) {
    if (hole[start] !== -1 || !missing(start)) continue;
    const id = holes++;
    pixels.length = 0;
    rim.length = 0;
    hole[start] = id;
    pixels.push(start);
    // Flood the hole (4-neighbours), collecting its rim; stop collecting once it is too large to fill.
    for (let k = 0; k < pixels.length; k++) {
      const p = pixels[k]!;
      const i = p % width;
      const visit = (q: number): void => {
        if (missing(q)) {
          if (hole[q] === -1) {
            hole[q] = id;
            pixels.push(q);
          }
        } else if (rimOf[q] !== id) {
          rimOf[q] = id;
          rim.push(q);
        }
      };
      if (i > 0) visit(p - 1);
      if (i + 1 < width) visit(p + 1);
      if (p >= width) visit(p - width);
      if (p + width < n) visit(p + width);
    }
    if (pixels.length > filling.largestHole || rim.length < 3 || !rimIsOneSurface(id)) continue;
    moments.fill(0);
    for (const q of rim) {
      const z = depth[q]!;
      addPointMoments(moments, 0, rayX(q) * z, rayY(q) * z, z);
    }
    if (!fitPlane(moments, 0, plane)) continue;
    const fits = rim.every((q) => {
      const z = depth[q]!;
      const sigma = filling.noiseAtOneMetre * z * z;
      return Math.abs(planeDistance(plane, rayX(q) * z, rayY(q) * z, z)) <= 4 * sigma + filling.tear(z);
    });
    if (!fits) continue;
    let near = Infinity;
    let far = 0;
    for (const q of rim) {
      near = Math.min(near, depth[q]!);
      far = Math.max(far, depth[q]!);
    }
    // Seen this obliquely, a plane through the rim is as likely a depth step's two sides.
    let mx = 0;
    let my = 0;
    for (const p of pixels) {
      mx += rayX(p);
      my += rayY(p);
    }
    const ray = Math.hypot(mx, my, pixels.length);
    if (Math.abs(plane[0]! * mx + plane[1]! * my + plane[2]! * pixels.length) < COS_STEEPEST * ray) continue;
    const filled = pixels.map((p) => rayDepth(plane, rayX(p), rayY(p)));
    // A plane seen almost edge-on can put a hole's pixels far beyond its rim: those are not filled.
    if (filled.every((z) => z >= near * 0.9 && z <= far * 1.1)) pixels.forEach((p, k) => (out[p] = filled[k]!));
  }
  return out;
}
