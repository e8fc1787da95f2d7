/**
 * Pins both pose conventions the generator writes: a pixel of frame a, lifted with its depth and
 * the intrinsics and moved through the poses into frame b, must land where b sees the same surface
 * (same depth, class and colour).
 */
import { describe, expect, it } from 'vitest';
import { RoomTracer } from '../../src/synth/render-frame.ts';
import { buildWorld, frameFiles, metadataFiles } from '../../src/synth/synthetic-scan.ts';
import { decodePng, parseTrajectory, type DecodedImage } from '../helpers/scan-files.ts';

interface View {
  rgb: DecodedImage;
  depth: DecodedImage;
  label: DecodedImage;
  /** Maps a camera-space point (OpenCV axes) to the world. */
  toWorld(x: number, y: number, z: number): [number, number, number];
  /** Maps a world point to camera space (OpenCV axes). */
  toCamera(p: [number, number, number]): [number, number, number];
}

const FRAMES = 24;
const W = 128;
const H = 96;

function scan(): { files: Map<string, Uint8Array> } {
  const world = buildWorld({ preset: 'tiny', seed: 7, frames: FRAMES, width: W, height: H });
  const tracer = new RoomTracer(world.scene);
  const files = metadataFiles(world);
  world.cameras.forEach((camera, i) => {
    for (const [path, bytes] of frameFiles(i, tracer.render(camera))) files.set(path, bytes);
  });
  return { files };
}

/** Rigid transform from a row-major 3x4 (R | t) and the axis signs of the camera frame used. */
function rigid(m: number[], sy: number, sz: number): Pick<View, 'toWorld' | 'toCamera'> {
  const r = (i: number, j: number): number => m[i * 4 + j]!;
  return {
    toWorld: (x, y, z) => {
      const c = [x, sy * y, sz * z];
      return [0, 1, 2].map((i) => r(i, 0) * c[0]! + r(i, 1) * c[1]! + r(i, 2) * c[2]! + r(i, 3)) as [number, number, number];
    },
    toCamera: (p) => {
      const d = [p[0] - r(0, 3), p[1] - r(1, 3), p[2] - r(2, 3)];
      const c = [0, 1, 2].map((j) => r(0, j) * d[0]! + r(1, j) * d[1]! + r(2, j) * d[2]!);
      return [c[0]!, sy * c[1]!, sz * c[2]!];
    },
  };
}

function views(
  files: Map<string, Uint8Array>,
  source: 'traj' | 'transforms',
): { views: View[]; fx: number; fy: number; cx: number; cy: number } {
  const text = (p: string): string => new TextDecoder().decode(files.get(p)!);
  const images = (i: number) => ({
    rgb: decodePng(files.get(`rgb/rgb_${i}.png`)!),
    depth: decodePng(files.get(`depth/depth_${i}.png`)!),
    label: decodePng(files.get(`semantic_class/semantic_class_${i}.png`)!),
  });
  if (source === 'traj') {
    // Replica convention: OpenCV camera-to-world, hfov 90 degrees, no intrinsics file.
    const poses = parseTrajectory(text('traj_w_c.txt'));
    const fx = W / 2 / Math.tan(Math.PI / 4);
    return { views: poses.map((m, i) => ({ ...images(i), ...rigid(m, 1, 1) })), fx, fy: fx, cx: W / 2, cy: H / 2 };
  }
  const t = JSON.parse(text('transforms.json')) as {
    fl_x: number;
    fl_y: number;
    cx: number;
    cy: number;
    frames: { file_path: string; transform_matrix: number[][] }[];
  };
  // nerfstudio convention: OpenGL camera-to-world (y up, z backward).
  return {
    views: t.frames.map((f) => {
      const i = Number(/rgb_(\d+)\.png$/.exec(f.file_path)![1]);
      return { ...images(i), ...rigid(f.transform_matrix.flat(), -1, -1) };
    }),
    fx: t.fl_x,
    fy: t.fl_y,
    cx: t.cx,
    cy: t.cy,
  };
}

interface PairStats {
  tested: number;
  visible: number;
  sameLabel: number;
  closeColour: number;
}

function reproject(a: View, b: View, k: { fx: number; fy: number; cx: number; cy: number }): PairStats {
  const s: PairStats = { tested: 0, visible: 0, sameLabel: 0, closeColour: 0 };
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const p = j * W + i;
      const z = a.depth.data[p]! / 1000;
      if (z <= 0) continue;
      s.tested++;
      const world = a.toWorld(((i + 0.5 - k.cx) / k.fx) * z, ((j + 0.5 - k.cy) / k.fy) * z, z);
      const [x, y, zb] = b.toCamera(world);
      if (zb <= 0.05) continue;
      const u = Math.floor((k.fx * x) / zb + k.cx);
      const v = Math.floor((k.fy * y) / zb + k.cy);
      if (u < 0 || v < 0 || u >= W || v >= H) continue;
      const q = v * W + u;
      // Seen by b only where b's own depth agrees (otherwise something occludes it there).
      if (Math.abs(b.depth.data[q]! / 1000 - zb) > 0.02 * zb + 0.01) continue;
      s.visible++;
      if (a.label.data[p] === b.label.data[q]) s.sameLabel++;
      const diff = Math.max(...[0, 1, 2].map((c) => Math.abs(a.rgb.data[p * 3 + c]! - b.rgb.data[q * 3 + c]!)));
      if (diff <= 16) s.closeColour++;
    }
  }
  return s;
}

describe('generated poses and intrinsics', () => {
  const { files } = scan();

  it.each(['traj', 'transforms'] as const)('reproject depth between frames consistently (%s)', (source) => {
    const { views: v, ...k } = views(files, source);
    expect(v).toHaveLength(FRAMES);
    const total: PairStats = { tested: 0, visible: 0, sameLabel: 0, closeColour: 0 };
    let pairs = 0;
    for (let a = 0; a < FRAMES; a++) {
      for (const step of [1, 2, 4]) {
        const b = (a + step) % FRAMES;
        const s = reproject(v[a]!, v[b]!, k);
        // Only pairs that share a good part of the view say something about the poses.
        if (s.visible < 0.15 * s.tested) continue;
        pairs++;
        for (const key of Object.keys(total) as (keyof PairStats)[]) total[key] += s[key];
      }
    }
    expect(pairs).toBeGreaterThanOrEqual(20);
    expect(total.sameLabel / total.visible).toBeGreaterThan(0.98);
    expect(total.closeColour / total.visible).toBeGreaterThan(0.9);
  });

  it('finds nothing consistent when a pose convention is wrong (the check has teeth)', () => {
    const { views: v, ...k } = views(files, 'traj');
    // Read the OpenCV poses as if they were OpenGL ones.
    const poses = parseTrajectory(new TextDecoder().decode(files.get('traj_w_c.txt')!));
    const wrong = v.map((view, i) => ({ ...view, ...rigid(poses[i]!, -1, -1) }));
    let visible = 0;
    let tested = 0;
    for (let a = 0; a < FRAMES - 1; a++) {
      const s = reproject(wrong[a]!, wrong[a + 1]!, k);
      visible += s.visible;
      tested += s.tested;
    }
    expect(visible / tested).toBeLessThan(0.05);
  });
});
