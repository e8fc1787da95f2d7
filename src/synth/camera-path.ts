/**
 * A hand-held scan of a generated room: the camera walks an ellipse around the room at standing
 * height, swinging its gaze across the room and up and down, with a small hand tremor. Every wall
 * and the open floor are seen from several sides.
 */
import type { Mat4 } from '../math/camera-convention.ts';
import { CAMERA_WALL_CLEARANCE, OPEN_FLOOR_MAX_HEIGHT } from './room-layout.ts';
import type { Random } from './random.ts';
import type { RoomScene } from './room-scene.ts';

/** A camera-to-world pose (OpenCV convention) looking along `forward` from `eye`, turned by `roll`. */
export function lookFrom(eye: [number, number, number], forward: [number, number, number], roll: number): Mat4 {
  const [fx, fy, fz] = normalise(forward);
  // right = forward x up(0, 1, 0); down = forward x right
  let [rx, ry, rz] = normalise([-fz, 0, fx]);
  let [dx, dy, dz] = [fy * rz - fz * ry, fz * rx - fx * rz, fx * ry - fy * rx];
  const c = Math.cos(roll);
  const s = Math.sin(roll);
  [rx, ry, rz, dx, dy, dz] = [c * rx + s * dx, c * ry + s * dy, c * rz + s * dz, c * dx - s * rx, c * dy - s * ry, c * dz - s * rz];
  return Float64Array.from([rx, dx, fx, eye[0], ry, dy, fy, eye[1], rz, dz, fz, eye[2], 0, 0, 0, 1]);
}

function normalise(v: [number, number, number]): [number, number, number] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** A smooth random signal over s in [0, 1]: a few sines of random phase. */
function wobble(rng: Random, minCycles: number, maxCycles: number): (s: number) => number {
  const waves = Array.from({ length: 3 }, () => ({ f: rng.range(minCycles, maxCycles), p: rng.range(0, 2 * Math.PI) }));
  return (s) => waves.reduce((sum, w) => sum + Math.sin(2 * Math.PI * w.f * s + w.p), 0) / 3;
}

export function scanPath(scene: RoomScene, frames: number, rng: Random): Mat4[] {
  const { w, d, h } = scene.shell;
  const rx = w / 2 - CAMERA_WALL_CLEARANCE - 0.05;
  const rz = d / 2 - CAMERA_WALL_CLEARANCE - 0.05;
  const start = rng.range(0, 2 * Math.PI);
  const turns = rng.range(1.1, 1.3) * (rng.chance(0.5) ? 1 : -1);
  const phases = Array.from({ length: 4 }, () => rng.range(0, 2 * Math.PI));
  const tremor = [wobble(rng, 7, 13), wobble(rng, 7, 13), wobble(rng, 7, 13), wobble(rng, 5, 11), wobble(rng, 5, 11), wobble(rng, 5, 11)];
  const minEye = OPEN_FLOOR_MAX_HEIGHT + 0.2;
  const poses: Mat4[] = [];
  for (let i = 0; i < frames; i++) {
    const s = i / frames;
    const angle = start + 2 * Math.PI * turns * s;
    // Walk in and out between 75% and 100% of the ellipse.
    const reach = 0.875 + 0.125 * Math.sin(2 * Math.PI * 2 * s + phases[0]!);
    const x = w / 2 + rx * reach * Math.cos(angle) + 0.02 * tremor[0]!(s);
    const z = d / 2 + rz * reach * Math.sin(angle) + 0.02 * tremor[1]!(s);
    const y = Math.max(minEye, Math.min(h - 0.5, 1.5 + 0.15 * Math.sin(2 * Math.PI * 1.7 * s + phases[1]!) + 0.02 * tremor[2]!(s)));
    // Gaze: toward the middle of the room, swinging up to ~65 degrees aside.
    const toCentre = Math.atan2(w / 2 - x, d / 2 - z);
    const heading = toCentre + 1.1 * Math.sin(2 * Math.PI * 2.3 * s + phases[2]!) + 0.015 * tremor[3]!(s);
    const pitch = -0.25 + 0.3 * Math.sin(2 * Math.PI * 3.1 * s + phases[3]!) + 0.015 * tremor[4]!(s);
    const forward: [number, number, number] = [Math.cos(pitch) * Math.sin(heading), Math.sin(pitch), Math.cos(pitch) * Math.cos(heading)];
    poses.push(lookFrom([x, y, z], forward, 0.03 * tremor[5]!(s)));
  }
  for (const [i, pose] of poses.entries()) assertOutsideObjects(scene, pose, i);
  return poses;
}

function assertOutsideObjects(scene: RoomScene, pose: Mat4, frame: number): void {
  const x = pose[3]!;
  const y = pose[7]!;
  const z = pose[11]!;
  const m = 0.1;
  for (const o of scene.objects) {
    const b = o.bounds;
    if (x > b[0] - m && x < b[3] + m && y > b[1] - m && y < b[4] + m && z > b[2] - m && z < b[5] + m) {
      throw new Error(`camera ${frame} at (${x.toFixed(2)}, ${y.toFixed(2)}, ${z.toFixed(2)}) is inside ${o.name}`);
    }
  }
}
