/**
 * Which segments of different views cover the same surface. Each view's depth is back-projected
 * into the world and binned into voxels; segment s of view a overlaps segment t of view b by the
 * fraction of s's voxels that t reaches too. Discovery fuses a segment's feature with those of
 * the segments that overlap it (view-fused-features.ts): one piece of surface seen from several
 * views then speaks with one voice, which is what the field does for a pixel, done for segments.
 *
 * The voxel is a fixed fraction of the median depth, so the same setting suits a room in metres
 * and a scan in arbitrary units (scans without depth are overlapped on the depth the field
 * renders, in the scan's units).
 */
import { backProjectPixel } from '../math/camera-convention.ts';
import type { DepthView, PreSegmentation } from './pre-segmentation.ts';

/** A view's segments with the depth they were made from (same resolution) and its camera. */
export interface PlacedSegmentation {
  segmentation: PreSegmentation;
  depth: DepthView;
  /** Camera-to-world, row-major 4x4, OpenCV camera axes, in the depth's units. */
  c2w: ArrayLike<number>;
}

export interface SegmentOverlap {
  frame: number;
  segment: number;
  /** Share of this segment's voxels that the other segment also reaches (0..1]. */
  fraction: number;
}

export interface ViewOverlapSettings {
  /** Voxel edge as a fraction of the median depth: 1% is 3 cm in a room seen from 3 m. */
  voxelFraction: number;
  /** Every stride-th pixel in x and y is back-projected. */
  stride: number;
  /** Overlaps below this fraction are dropped (a shared border, not a shared surface). */
  minFraction: number;
}

export const DEFAULT_VIEW_OVERLAP: ViewOverlapSettings = { voxelFraction: 0.01, stride: 2, minFraction: 0.05 };

/** A view's depth back-projected: what viewOverlaps() needs of it, kept while the other views are made. */
export interface ViewPoints {
  /** x, y, z per point. */
  xyz: Float32Array;
  segment: Int32Array;
  depth: Float32Array;
  segments: number;
}

export function backProject(view: PlacedSegmentation, stride = DEFAULT_VIEW_OVERLAP.stride): ViewPoints {
  const { segmentation: seg, depth: d, c2w: m } = view;
  if (seg.width !== d.width || seg.height !== d.height) {
    throw new RangeError(`view overlaps: segments are ${seg.width}x${seg.height} but the depth is ${d.width}x${d.height}`);
  }
  const xyz: number[] = [];
  const world = new Float64Array(3);
  const segment: number[] = [];
  const depth: number[] = [];
  for (let y = 0; y < d.height; y += stride) {
    for (let x = 0; x < d.width; x += stride) {
      const p = y * d.width + x;
      const s = seg.segments[p]!;
      const z = d.depth[p]!;
      if (s < 0 || !(z > 0) || !Number.isFinite(z)) continue;
      backProjectPixel(m, d.intrinsics, x, y, z, world);
      xyz.push(world[0]!, world[1]!, world[2]!);
      segment.push(s);
      depth.push(z);
    }
  }
  return { xyz: Float32Array.from(xyz), segment: Int32Array.from(segment), depth: Float32Array.from(depth), segments: seg.count };
}

function median(values: Float32Array[]): number {
  const all = new Float32Array(values.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of values) {
    all.set(v, at);
    at += v.length;
  }
  all.sort();
  return all.length > 0 ? all[all.length >> 1]! : 0;
}

/**
 * Overlaps of every segment of every view with the segments of the other views:
 * `result[frame][segment]` lists them (never a segment of the same view).
 */
export function viewOverlaps(views: readonly PlacedSegmentation[], given: Partial<ViewOverlapSettings> = {}): SegmentOverlap[][][] {
  const settings = { ...DEFAULT_VIEW_OVERLAP, ...given };
  return overlapsOfPoints(
    views.map((v) => backProject(v, settings.stride)),
    settings,
  );
}

/** viewOverlaps() on views already back-projected (the stride was theirs). */
export function overlapsOfPoints(
  points: readonly ViewPoints[],
  given: Partial<Omit<ViewOverlapSettings, 'stride'>> = {},
): SegmentOverlap[][][] {
  const settings = { ...DEFAULT_VIEW_OVERLAP, ...given };
  const result = points.map((p) => Array.from({ length: p.segments }, (): SegmentOverlap[] => []));
  const voxel = settings.voxelFraction * median(points.map((p) => p.depth));
  if (!(voxel > 0)) return result;

  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const p of points) {
    for (let i = 0; i < p.xyz.length; i++) {
      lo[i % 3] = Math.min(lo[i % 3]!, p.xyz[i]!);
      hi[i % 3] = Math.max(hi[i % 3]!, p.xyz[i]!);
    }
  }
  const cells = lo.map((l, a) => Math.floor((hi[a]! - l) / voxel) + 1);
  if (cells[0]! * cells[1]! * cells[2]! > Number.MAX_SAFE_INTEGER)
    throw new RangeError('view overlaps: the scene is too large for its voxel size');
  const [lx, ly, lz] = lo as [number, number, number];
  const [cx, cy] = cells as [number, number, number];
  // Called for every back-projected point (about a million in a 60-view scan): no allocation.
  const key = (xyz: Float32Array, i: number): number =>
    Math.floor((xyz[i]! - lx) / voxel) + cx * (Math.floor((xyz[i + 1]! - ly) / voxel) + cy * Math.floor((xyz[i + 2]! - lz) / voxel));

  // Global segment ids: views one after the other.
  const first: number[] = [];
  let total = 0;
  for (const p of points) {
    first.push(total);
    total += p.segments;
  }
  const frameOf = new Int32Array(total);
  points.forEach((p, f) => frameOf.fill(f, first[f]!, first[f]! + p.segments));
  // Each segment's voxels, and each voxel's segments.
  const voxelsOf = Array.from({ length: total }, () => new Set<number>());
  const segmentsIn = new Map<number, number[]>();
  points.forEach((p, f) => {
    for (let i = 0; i < p.segment.length; i++) {
      const g = first[f]! + p.segment[i]!;
      const k = key(p.xyz, 3 * i);
      if (voxelsOf[g]!.has(k)) continue;
      voxelsOf[g]!.add(k);
      const list = segmentsIn.get(k);
      if (list) list.push(g);
      else segmentsIn.set(k, [g]);
    }
  });
  for (let g = 0; g < total; g++) {
    const shared = new Map<number, number>();
    for (const k of voxelsOf[g]!) {
      for (const t of segmentsIn.get(k)!) if (frameOf[t] !== frameOf[g]) shared.set(t, (shared.get(t) ?? 0) + 1);
    }
    const size = voxelsOf[g]!.size;
    const f = frameOf[g]!;
    for (const [t, n] of shared) {
      const fraction = n / size;
      if (fraction >= settings.minFraction)
        result[f]![g - first[f]!]!.push({ frame: frameOf[t]!, segment: t - first[frameOf[t]!]!, fraction });
    }
  }
  return result;
}
