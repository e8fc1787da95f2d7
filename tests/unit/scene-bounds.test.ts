/**
 * The box the field is fitted into: an object capture's bounds fit the object, not the cameras
 * around it; a room keeps its cameras; sparse points and depth win over guesses.
 */
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { fieldBackground } from '../../src/field/training-settings.ts';
import { opencvToOpengl } from '../../src/math/camera-convention.ts';
import { lookFrom } from '../../src/synth/camera-path.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { lookedAtSphere, sceneBounds, type BoundedFrame } from '../../src/scan/scene-bounds.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';

const K = { fx: 50, fy: 50, cx: 32, cy: 24, width: 64, height: 48 };
// Narrower half field of view: atan(24 / 50).
const HALF_FOV = Math.atan(24 / 50);
const TARGET: [number, number, number] = [1, 2, 3];

/** Cameras on a sphere of radius 4 around TARGET, each looking at it (OpenCV axes). */
function objectCameras(n = 12): BoundedFrame[] {
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    const elevation = 0.3 + 0.4 * (i % 3);
    const eye: [number, number, number] = [
      TARGET[0] + 4 * Math.cos(a) * Math.cos(elevation),
      TARGET[1] + 4 * Math.sin(a) * Math.cos(elevation),
      TARGET[2] + 4 * Math.sin(elevation),
    ];
    return { c2wSource: lookFrom(eye, [TARGET[0] - eye[0], TARGET[1] - eye[1], TARGET[2] - eye[2]], 0), intrinsics: K };
  });
}

describe('scene bounds', () => {
  it('fits an object capture around the point its cameras look at, as wide as every camera sees whole', () => {
    const cameras = objectCameras();
    const sphere = lookedAtSphere(cameras)!;
    for (let a = 0; a < 3; a++) expect(sphere.centre[a]).toBeCloseTo(TARGET[a]!, 9);
    expect(sphere.radius).toBeCloseTo(4 * Math.sin(HALF_FOV), 9);
    const box = sceneBounds(cameras, { objectCapture: true });
    expect(box.from).toBe('camera axes');
    const r = 4 * Math.sin(HALF_FOV);
    expect(box.min).toEqual(TARGET.map((c) => expect.closeTo(c - r, 9)));
    expect(box.max).toEqual(TARGET.map((c) => expect.closeTo(c + r, 9)));
    // The cameras' own box is more than twice as wide: the object would get under half the grid's cells across.
    const centres = sceneBounds(cameras);
    expect(centres.from).toBe('camera centres');
    expect((centres.max[0] - centres.min[0]) / (box.max[0] - box.min[0])).toBeGreaterThan(2);
  });

  it('does not take cameras that look outwards for an object capture', () => {
    const outwards = objectCameras().map((f) => {
      const m = Float64Array.from(f.c2wSource);
      // Turned round (x and z axes flipped): each camera now looks away from the centre.
      for (const col of [0, 2]) for (let r = 0; r < 3; r++) m[r * 4 + col] = -m[r * 4 + col]!;
      return { ...f, c2wSource: m };
    });
    expect(lookedAtSphere(outwards)).toBeNull();
    expect(sceneBounds(outwards, { objectCapture: true }).from).toBe('camera centres');
  });

  it('takes a reconstruction’s points over any guess, without the cameras around them', () => {
    // A 5 x 5 x 5 grid over the cube of side 2 around TARGET.
    const points = new Float64Array(125 * 3);
    for (let p = 0; p < 125; p++) for (let a = 0; a < 3; a++) points[p * 3 + a] = TARGET[a]! - 1 + (Math.floor(p / 5 ** a) % 5) / 2;
    const box = sceneBounds(objectCameras(), { points, objectCapture: true, aabbScale: 4 });
    expect(box.from).toBe('sparse points');
    for (let a = 0; a < 3; a++) {
      expect(box.min[a]).toBeCloseTo(TARGET[a]! - 1, 9);
      expect(box.max[a]).toBeCloseTo(TARGET[a]! + 1, 9);
    }
  });
});

/** A Blender-style capture: an opaque grey square in the middle of each frame, transparent around. */
function blenderCapture(): MemorySource {
  const files = new Map<string, Uint8Array>();
  const frames = objectCameras(8).map((f, i) => {
    const data = new Uint8Array(64 * 48 * 4);
    for (let y = 14; y < 34; y++) for (let x = 22; x < 42; x++) data.set([120, 120, 120, 255], (y * 64 + x) * 4);
    files.set(`train/r_${i}.png`, encode({ width: 64, height: 48, data, channels: 4, depth: 8 }));
    const m = Array.from(opencvToOpengl(f.c2wSource));
    return { file_path: `./train/r_${i}`, transform_matrix: [0, 1, 2, 3].map((r) => m.slice(r * 4, r * 4 + 4)) };
  });
  const camera_angle_x = 2 * Math.atan(32 / 50);
  files.set('transforms_train.json', new TextEncoder().encode(JSON.stringify({ camera_angle_x, frames })));
  return new MemorySource('lego-like', files);
}

describe('an RGBA object capture', () => {
  it('is fitted to what its cameras look at, and its field renders on the background its photos were composited on', async () => {
    const scan = await loadScan(blenderCapture(), { decodeImage: decodeImageNode });
    expect(scan.transparent).toBe(true);
    expect(scan.warnings).toContain(
      'no depth: scene bounds fitted around what the cameras look at (the point nearest to their optical axes)',
    );
    const r = 4 * Math.sin(HALF_FOV);
    for (let a = 0; a < 3; a++) {
      expect(scan.bounds.min[a]).toBeCloseTo(TARGET[a]! - r, 6);
      expect(scan.bounds.max[a]).toBeCloseTo(TARGET[a]! + r, 6);
    }
    // The transparent surround is white in the photos (the page's default), and so is the field's background.
    expect(Array.from(scan.frames[0]!.rgba.subarray(0, 4))).toEqual([255, 255, 255, 255]);
    expect(fieldBackground(scan)).toEqual([1, 1, 1]);
  });

  it('an opaque capture keeps a black background and the cameras’ box', async () => {
    const source = blenderCapture();
    const opaque = new Map<string, Uint8Array>();
    for (const path of source.paths) {
      const bytes = await source.read(path);
      if (!path.endsWith('.png')) opaque.set(path, bytes);
      else opaque.set(path, encode({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(90), channels: 3, depth: 8 }));
    }
    const scan = await loadScan(new MemorySource('opaque', opaque), { decodeImage: decodeImageNode });
    expect(scan.transparent).toBe(false);
    expect(scan.warnings).toContain('no depth: scene bounds come from the camera positions only');
    expect(fieldBackground(scan)).toEqual([0, 0, 0]);
  });
});
