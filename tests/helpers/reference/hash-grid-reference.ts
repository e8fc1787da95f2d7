/**
 * A plain CPU hash encoding (f64) written from the paper, to check the WGSL kernels against:
 * the encoding, and its exact gradient with respect to the table.
 */
import type { HashGridLayout } from '../../../src/field/hash-grid.ts';

function cornerEntry(layout: HashGridLayout, level: number, x: number, y: number, z: number): number {
  const lv = layout.level[level]!;
  if (lv.dense) return lv.offset + x + lv.resolution * (y + lv.resolution * z);
  const h = (x ^ Math.imul(y, 2654435761) ^ Math.imul(z, 805459861)) >>> 0;
  return lv.offset + (h & (lv.entries - 1));
}

/** For each point and level: the 8 (entry, weight) pairs of its cell. */
export function corners(layout: HashGridLayout, p: [number, number, number], level: number): { entry: number; weight: number }[] {
  const scale = Math.fround(layout.level[level]!.scale);
  const x = p.map((v) => Math.min(1, Math.max(0, v)) * scale + 0.5);
  const base = x.map(Math.floor);
  const frac = x.map((v, i) => v - base[i]!);
  const out = [];
  for (let c = 0; c < 8; c++) {
    const bits = [c & 1, (c >> 1) & 1, (c >> 2) & 1];
    const weight = bits.reduce((w, b, i) => w * (b ? frac[i]! : 1 - frac[i]!), 1);
    out.push({ entry: cornerEntry(layout, level, base[0]! + bits[0]!, base[1]! + bits[1]!, base[2]! + bits[2]!), weight });
  }
  return out;
}

export function encodeReference(layout: HashGridLayout, table: Float32Array, points: Float32Array): Float64Array {
  const F = layout.config.featuresPerLevel;
  const L = layout.level.length;
  const n = points.length / 3;
  const out = new Float64Array(n * L * F);
  for (let i = 0; i < n; i++) {
    const p: [number, number, number] = [points[i * 3]!, points[i * 3 + 1]!, points[i * 3 + 2]!];
    for (let l = 0; l < L; l++) {
      for (const { entry, weight } of corners(layout, p, l)) {
        for (let f = 0; f < F; f++) out[(i * L + l) * F + f] += weight * table[entry * F + f]!;
      }
    }
  }
  return out;
}

export function backwardReference(layout: HashGridLayout, points: Float32Array, dFeatures: Float32Array): Float64Array {
  const F = layout.config.featuresPerLevel;
  const L = layout.level.length;
  const grad = new Float64Array(layout.parameterCount);
  for (let i = 0; i < points.length / 3; i++) {
    const p: [number, number, number] = [points[i * 3]!, points[i * 3 + 1]!, points[i * 3 + 2]!];
    for (let l = 0; l < L; l++) {
      for (const { entry, weight } of corners(layout, p, l)) {
        for (let f = 0; f < F; f++) grad[entry * F + f] += weight * dFeatures[(i * L + l) * F + f]!;
      }
    }
  }
  return grad;
}
