/**
 * A generated object capture as Blender's NeRF scenes are: RGBA photos of one object on no
 * background (transparent around it), cameras on a sphere looking at it, `transforms_*.json`.
 * The object is a box with a colour per face, one of them (the top) near white, the colour its
 * photos are composited on: a field that leaves it empty would match it on a white background.
 * Ray-cast exactly, 2 x 2 samples per pixel, so edges are partly transparent; the truth (the box,
 * each pixel's coverage and z-depth) comes with it.
 */
import { encode } from 'fast-png';
import { opencvToOpengl, type Mat4 } from '../../src/math/camera-convention.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { lookFrom } from '../../src/synth/camera-path.ts';

export const BOX_CENTRE: [number, number, number] = [1, 2, 3];
export const BOX_HALF = 1;
/** Camera distance to the box centre. */
export const CAMERA_DISTANCE = 4;
export const CAPTURE_K = { fx: 50, fy: 50, cx: 32, cy: 24, width: 64, height: 48 };

/** sRGB8 per face: -x, +x, -y, +y, -z, +z (the top, near white). */
const FACE_COLOURS: [number, number, number][] = [
  [200, 40, 40],
  [40, 160, 60],
  [50, 70, 200],
  [220, 200, 40],
  [120, 60, 160],
  [245, 245, 245],
];
const SUBSAMPLES = 2;

export interface CapturedFrame {
  c2w: Mat4;
  /** 0..255 per pixel: the share of the pixel's subsamples that hit the box. */
  coverage: Uint8Array;
  /** z-depth of the pixel's centre ray in scene units, 0 where it misses. */
  depth: Float32Array;
  /** Face hit by the pixel's centre ray (index into the face colours), -1 where it misses. */
  face: Int8Array;
}

/** Cameras all round the box, each looking at its centre (OpenCV axes), at three elevations. */
export function captureCameras(n: number): Mat4[] {
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    const elevation = 0.3 + 0.4 * (i % 3);
    const d = CAMERA_DISTANCE;
    const eye: [number, number, number] = [
      BOX_CENTRE[0] + d * Math.cos(a) * Math.cos(elevation),
      BOX_CENTRE[1] + d * Math.sin(a) * Math.cos(elevation),
      BOX_CENTRE[2] + d * Math.sin(elevation),
    ];
    return lookFrom(eye, [BOX_CENTRE[0] - eye[0], BOX_CENTRE[1] - eye[1], BOX_CENTRE[2] - eye[2]], 0);
  });
}

/** The ray's parameter at the box (slab test) and the face it enters by, or null. */
function hitBox(o: number[], d: number[]): { t: number; face: number } | null {
  let near = -Infinity;
  let far = Infinity;
  let face = -1;
  for (let a = 0; a < 3; a++) {
    const lo = (BOX_CENTRE[a]! - BOX_HALF - o[a]!) / d[a]!;
    const hi = (BOX_CENTRE[a]! + BOX_HALF - o[a]!) / d[a]!;
    const enter = Math.min(lo, hi);
    if (enter > near) {
      near = enter;
      face = 2 * a + (lo < hi ? 0 : 1);
    }
    far = Math.min(far, Math.max(lo, hi));
  }
  return near <= far && near > 0 ? { t: near, face } : null;
}

function renderFrame(c2w: Mat4): CapturedFrame & { rgba: Uint8Array } {
  const { width: w, height: h, fx, fy, cx, cy } = CAPTURE_K;
  const rgba = new Uint8Array(w * h * 4);
  const coverage = new Uint8Array(w * h);
  const depth = new Float32Array(w * h);
  const face = new Int8Array(w * h).fill(-1);
  const origin = [c2w[3]!, c2w[7]!, c2w[11]!];
  // Unnormalised camera direction (z = 1): the hit's t is its z-depth.
  const cast = (x: number, y: number) => {
    const c = [(x - cx) / fx, (y - cy) / fy, 1];
    const d = [0, 1, 2].map((r) => c2w[r * 4]! * c[0]! + c2w[r * 4 + 1]! * c[1]! + c2w[r * 4 + 2]! * c[2]!);
    return hitBox(origin, d);
  };
  for (let j = 0; j < h; j++)
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      const sum = [0, 0, 0];
      let hits = 0;
      for (let sj = 0; sj < SUBSAMPLES; sj++)
        for (let si = 0; si < SUBSAMPLES; si++) {
          const hit = cast(i + (si + 0.5) / SUBSAMPLES, j + (sj + 0.5) / SUBSAMPLES);
          if (!hit) continue;
          hits++;
          FACE_COLOURS[hit.face]!.forEach((v, c) => (sum[c]! += v));
        }
      const centre = cast(i + 0.5, j + 0.5);
      if (centre) {
        depth[p] = centre.t;
        face[p] = centre.face;
      }
      coverage[p] = Math.round((255 * hits) / SUBSAMPLES ** 2);
      // Straight (not premultiplied) alpha, as PNG stores it; a pixel the box misses is transparent black.
      if (hits) rgba.set([...sum.map((v) => Math.round(v / hits)), coverage[p]!], p * 4);
    }
  return { c2w, rgba, coverage, depth, face };
}

/** The top face's index in CapturedFrame.face. */
export const TOP_FACE = 5;

export function boxCapture(frames = 24): { source: MemorySource; frames: CapturedFrame[] } {
  const files = new Map<string, Uint8Array>();
  const rendered = captureCameras(frames).map(renderFrame);
  const list = rendered.map((f, i) => {
    files.set(`train/r_${i}.png`, encode({ width: CAPTURE_K.width, height: CAPTURE_K.height, data: f.rgba, channels: 4, depth: 8 }));
    const m = Array.from(opencvToOpengl(f.c2w));
    return { file_path: `./train/r_${i}`, transform_matrix: [0, 1, 2, 3].map((r) => m.slice(r * 4, r * 4 + 4)) };
  });
  const camera_angle_x = 2 * Math.atan(CAPTURE_K.cx / CAPTURE_K.fx);
  files.set('transforms_train.json', new TextEncoder().encode(JSON.stringify({ camera_angle_x, frames: list })));
  return { source: new MemorySource('box-capture', files), frames: rendered.map(({ rgba: _, ...f }) => f) };
}
