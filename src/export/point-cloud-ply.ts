/**
 * The scan as a labelled point cloud: every depth pixel back-projected into the world, with its
 * colour and its discovered class, as a binary little-endian PLY that MeshLab, CloudCompare,
 * Open3D and plyfile read. The class is a `ushort class` property holding class id + 1 (0 =
 * nothing), as in the label maps; the header's comments name the classes.
 *
 * Cameras follow the project's convention (src/scan/scan.ts): camera-to-world row-major 4x4,
 * OpenCV axes (x right, y down, z forward), intrinsics in continuous pixel coordinates (pixel
 * (i, j) has its centre at (i + 0.5, j + 0.5)).
 */
import { backProjectPixel } from '../math/camera-convention.ts';
import type { LegendClass } from './label-png.ts';

export interface PointCloudView {
  width: number;
  height: number;
  /** Camera-to-world, row-major 4x4, OpenCV camera axes, in the same units as `depth`. */
  c2w: ArrayLike<number>;
  intrinsics: { fx: number; fy: number; cx: number; cy: number };
  /** z-depth along the optical axis; 0 or non-finite = no point. */
  depth: Float32Array;
  /** 0..1 per channel, 3 per pixel, sRGB (viewers show the colour bytes as sRGB). */
  rgb: Float32Array;
  /** Class id per pixel, -1 = nothing. */
  classes: Int32Array;
}

export interface PointCloudOptions {
  /** Take every stride-th pixel in x and in y. */
  stride: number;
  /** At most this many points, thinned evenly over all the views. */
  maxPoints?: number;
}

/** x, y, z float32; red, green, blue uchar; class ushort. */
const BYTES_PER_POINT = 3 * 4 + 3 + 2;
const MAX_CLASS_ID = 0xffff - 1;

/**
 * A class name inside a one-line ASCII header comment: readers split the header on newlines and
 * some (plyfile) decode it as ASCII, so line breaks and controls become spaces and accents are
 * dropped where Unicode can separate them from the letter.
 */
function plyCommentText(name: string): string {
  const text = name
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]/gu, '?')
    .replace(/ +/g, ' ')
    .trim();
  return text === '' ? '?' : text;
}

function plyHeader(points: number, classes: readonly LegendClass[]): string {
  const lines = [
    'ply',
    'format binary_little_endian 1.0',
    'comment NeurNCD-web labelled point cloud',
    'comment class: value = class id + 1, 0 = nothing',
  ];
  for (const c of classes) lines.push(`comment class ${c.id + 1} ${plyCommentText(c.name)} (${c.known ? 'known' : 'novel'})`);
  lines.push(
    `element vertex ${points}`,
    'property float x',
    'property float y',
    'property float z',
    'property uchar red',
    'property uchar green',
    'property uchar blue',
    'property ushort class',
    'end_header',
  );
  return `${lines.join('\n')}\n`;
}

function checkView(view: PointCloudView, index: number): void {
  const pixels = view.width * view.height;
  const sizes: [string, number, number][] = [
    ['depth', view.depth.length, pixels],
    ['rgb', view.rgb.length, 3 * pixels],
    ['classes', view.classes.length, pixels],
  ];
  for (const [what, actual, expected] of sizes) {
    if (actual !== expected)
      throw new Error(`view ${index}: ${what} has ${actual} values, a ${view.width}x${view.height} view needs ${expected}`);
  }
  if (view.c2w.length !== 16) throw new Error(`view ${index}: c2w has ${view.c2w.length} values, a 4x4 matrix needs 16`);
}

/** Calls `visit` for each sampled pixel that has a depth, in view, row, column order. */
function forEachSample(
  views: readonly PointCloudView[],
  stride: number,
  visit: (view: PointCloudView, pixel: number, x: number, y: number) => void,
): void {
  for (const view of views) {
    for (let y = 0; y < view.height; y += stride) {
      for (let x = 0; x < view.width; x += stride) {
        const pixel = y * view.width + x;
        const z = view.depth[pixel]!;
        if (Number.isFinite(z) && z !== 0) visit(view, pixel, x, y);
      }
    }
  }
}

function colourByte(v: number): number {
  return v > 0 ? Math.round(Math.min(v, 1) * 255) : 0;
}

export function pointCloudPly(views: readonly PointCloudView[], classes: readonly LegendClass[], options: PointCloudOptions): Uint8Array {
  const { stride, maxPoints } = options;
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride must be a positive integer, got ${stride}`);
  if (maxPoints !== undefined && !(Number.isInteger(maxPoints) && maxPoints >= 0))
    throw new RangeError(`maxPoints must be a non-negative integer, got ${maxPoints}`);
  views.forEach(checkView);

  // Counting first lets the points go straight into a buffer of the final size: a full-resolution
  // scan has tens of millions of them.
  let candidates = 0;
  forEachSample(views, stride, () => candidates++);
  const points = maxPoints === undefined ? candidates : Math.min(candidates, maxPoints);

  const header = new TextEncoder().encode(plyHeader(points, classes));
  const bytes = new Uint8Array(header.length + points * BYTES_PER_POINT);
  bytes.set(header);
  const out = new DataView(bytes.buffer);
  let offset = header.length;
  let candidate = 0;
  const world = new Float64Array(3);
  forEachSample(views, stride, (view, pixel, x, y) => {
    // Keep candidate k when floor(k * points / candidates) steps up: exactly `points` kept, evenly spread.
    const keep = Math.floor(((candidate + 1) * points) / candidates) > Math.floor((candidate * points) / candidates);
    candidate++;
    if (!keep) return;
    backProjectPixel(view.c2w, view.intrinsics, x, y, view.depth[pixel]!, world);
    for (let row = 0; row < 3; row++) {
      out.setFloat32(offset, world[row]!, true);
      offset += 4;
    }
    for (let c = 0; c < 3; c++) out.setUint8(offset++, colourByte(view.rgb[3 * pixel + c]!));
    const id = view.classes[pixel]!;
    if (!(id >= -1 && id <= MAX_CLASS_ID))
      throw new RangeError(`class id ${id} does not fit the ushort class property (-1..${MAX_CLASS_ID})`);
    out.setUint16(offset, id + 1, true);
    offset += 2;
  });
  return bytes;
}
