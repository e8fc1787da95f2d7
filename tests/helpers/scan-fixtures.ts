/**
 * Scan fixtures of every supported format, converted from one generated scene so that every
 * loader can be checked against the same ground truth. Small converters, written the way each
 * format's own tools write their files.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encode } from 'fast-png';
import jpeg from 'jpeg-js';
import { RoomTracer, type RenderedFrame } from '../../src/synth/render-frame.ts';
import { buildWorld, frameFiles, metadataFiles, type SyntheticWorld } from '../../src/synth/synthetic-scan.ts';

export type Files = Map<string, Uint8Array>;

export interface Fixture {
  world: SyntheticWorld;
  frames: RenderedFrame[];
  /** The generator's own output (Replica layout + transforms.json). */
  files: Files;
}

export function makeFixture(frames = 6, width = 128, height = 96, seed = 21): Fixture {
  const world = buildWorld({ preset: 'tiny', seed, frames, width, height });
  const tracer = new RoomTracer(world.scene);
  const rendered = world.cameras.map((c) => tracer.render(c));
  const files = metadataFiles(world);
  rendered.forEach((f, i) => frameFiles(i, f).forEach((bytes, path) => files.set(path, bytes)));
  return { world, frames: rendered, files };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const json = (v: unknown): Uint8Array => text(JSON.stringify(v, null, 2));
const rowsOf = (m: Float64Array): string => [0, 1, 2, 3].map((r) => Array.from(m.subarray(r * 4, r * 4 + 4)).join(' ')).join('\n');

function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) {
    out.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    out[p * 4 + 3] = 255;
  }
  return out;
}

export function jpegOf(frame: RenderedFrame): Uint8Array {
  return new Uint8Array(jpeg.encode({ data: rgbToRgba(frame.rgb), width: frame.width, height: frame.height }, 95).data);
}

function png16(width: number, height: number, data: Uint16Array): Uint8Array {
  return encode({ width, height, data, channels: 1, depth: 16 });
}

/** nerfstudio: transforms.json and the images only (the generator writes this file too). */
export function toNerfstudio(f: Fixture): Files {
  const out: Files = new Map();
  for (const [p, b] of f.files) if (p === 'transforms.json' || p.startsWith('rgb/') || p.startsWith('depth/')) out.set(p, b);
  return out;
}

/** Replica as NICE-SLAM ships it: JPEG colour, depth scaled by 6553.5, cam_params.json. */
export function toNiceSlam(f: Fixture): Files {
  const out: Files = new Map();
  const { width: w, height: h } = f.world.options;
  const k = f.world.cameras[0]!;
  f.frames.forEach((frame, i) => {
    const n = String(i).padStart(6, '0');
    out.set(`results/frame${n}.jpg`, jpegOf(frame));
    out.set(
      `results/depth${n}.png`,
      png16(
        w,
        h,
        frame.depthMm.map((mm) => Math.round((mm / 1000) * 6553.5)),
      ),
    );
  });
  out.set('traj.txt', f.files.get('traj_w_c.txt')!);
  // NICE-SLAM writes integer pixel centres: cx = (W - 1) / 2 for a centred camera.
  out.set('cam_params.json', json({ camera: { w, h, fx: k.fx, fy: k.fy, cx: k.cx - 0.5, cy: k.cy - 0.5, scale: 6553.5 } }));
  return out;
}

/** A ScanNet export: JPEG colour, depth at half size with its own intrinsics, label-filt. */
export function toScanNet(f: Fixture): Files {
  const out: Files = new Map();
  const { width: w, height: h } = f.world.options;
  const k = f.world.cameras[0]!;
  f.frames.forEach((frame, i) => {
    out.set(`color/${i}.jpg`, jpegOf(frame));
    const half = new Uint16Array((w / 2) * (h / 2));
    for (let y = 0; y < h / 2; y++) for (let x = 0; x < w / 2; x++) half[y * (w / 2) + x] = frame.depthMm[(2 * y + 1) * w + 2 * x + 1]!;
    out.set(`depth/${i}.png`, png16(w / 2, h / 2, half));
    out.set(`pose/${i}.txt`, text(rowsOf(f.world.cameras[i]!.c2w)));
    out.set(`label-filt/${i}.png`, encode({ width: w, height: h, data: frame.label, channels: 1, depth: 8 }));
  });
  const mat = (fx: number, fy: number, cx: number, cy: number): Uint8Array => text(`${fx} 0 ${cx} 0\n0 ${fy} ${cy} 0\n0 0 1 0\n0 0 0 1\n`);
  out.set('intrinsic/intrinsic_color.txt', mat(k.fx, k.fy, k.cx - 0.5, k.cy - 0.5));
  out.set('intrinsic/intrinsic_depth.txt', mat(k.fx / 2, k.fy / 2, k.cx / 2 - 0.5, k.cy / 2 - 0.5));
  return out;
}

/** 7-Scenes / 3DMatch: one sequence folder, 65535 where the sensor saw nothing. */
export function toSevenScenes(f: Fixture): Files {
  const out: Files = new Map();
  const { width: w, height: h } = f.world.options;
  const k = f.world.cameras[0]!;
  f.frames.forEach((frame, i) => {
    const stem = `seq-01/frame-${String(i).padStart(6, '0')}`;
    out.set(`${stem}.color.png`, f.files.get(`rgb/rgb_${i}.png`)!);
    const depth = Uint16Array.from(frame.depthMm);
    depth[0] = 65535;
    out.set(`${stem}.depth.png`, png16(w, h, depth));
    out.set(`${stem}.pose.txt`, text(rowsOf(f.world.cameras[i]!.c2w)));
  });
  out.set('camera-intrinsics.txt', text(`${k.fx} 0 ${k.cx - 0.5}\n0 ${k.fy} ${k.cy - 0.5}\n0 0 1\n`));
  return out;
}

/** A copy of `base` with `change` applied. */
export function editFiles(base: Files, change: (f: Files) => void): Files {
  const copy = new Map(base);
  change(copy);
  return copy;
}

export type Transforms = Record<string, unknown> & { frames: Record<string, unknown>[] };

/** A copy of a nerfstudio folder with its transforms.json changed by `change`. */
export function editTransforms(base: Files, change: (t: Transforms) => void): Files {
  return editFiles(base, (f) => {
    const t = JSON.parse(new TextDecoder().decode(f.get('transforms.json'))) as Transforms;
    change(t);
    f.set('transforms.json', text(JSON.stringify(t)));
  });
}

export function writeFiles(files: Files, dir = mkdtempSync(join(tmpdir(), 'neurncd-scan-'))): string {
  for (const [p, b] of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), b);
  }
  return dir;
}

/** A JPEG with an EXIF APP1 segment holding only Orientation (1..8), as cameras write it. */
export function jpegWithOrientation(rgba: Uint8Array, width: number, height: number, orientation: number): Uint8Array {
  const plain = new Uint8Array(jpeg.encode({ data: rgba, width, height }, 100).data);
  // Big-endian TIFF header, one IFD entry: tag 0x0112 (Orientation), SHORT, count 1.
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const payload = [...new TextEncoder().encode('Exif'), 0, 0, ...tiff];
  const app1 = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255, ...payload];
  return new Uint8Array([...plain.slice(0, 2), ...app1, ...plain.slice(2)]);
}

/** A left-red, right-blue image: after a quarter turn clockwise, red is on top. */
export function halfRedHalfBlue(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set(p % width < width / 2 ? [255, 0, 0, 255] : [0, 0, 255, 255], p * 4);
  return data;
}

/** A 2-D NumPy .npy file as np.save writes it (format 1.0, header padded to 64 bytes). */
export function npyOf(descr: '<f4' | '<f2' | '<f8' | '<u2', height: number, width: number, values: ArrayLike<number>): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${height}, ${width}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const size = descr === '<f8' ? 8 : descr === '<f4' ? 4 : 2;
  const out = new Uint8Array(10 + header.length + values.length * size);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (descr === '<f8') view.setFloat64(i * 8, v, true);
    else if (descr === '<f4') view.setFloat32(i * 4, v, true);
    else view.setUint16(i * 2, descr === '<u2' ? v : halfBits(v), true);
  }
  return out;
}

/** IEEE half-precision bits of a normal number (rounded to nearest), or of 0. */
function halfBits(v: number): number {
  if (v === 0) return 0;
  const bits = new Uint32Array(Float32Array.of(v).buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  let exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = (bits & 0x7fffff) + 0x1000;
  if (mantissa & 0x800000) {
    mantissa = 0;
    exponent++;
  }
  return sign | (exponent << 10) | (mantissa >>> 13);
}
