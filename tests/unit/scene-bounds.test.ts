/**
 * The box the field is fitted into: an object capture's bounds fit the object, not the cameras
 * around it; a room keeps its cameras; sparse points and depth win over guesses.
 */
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { fieldBackground } from '../../src/field/training-settings.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { lookedAtSphere, sceneBounds, type BoundedFrame } from '../../src/scan/scene-bounds.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { BOX_CENTRE, boxCapture, CAPTURE_K, captureCameras } from '../helpers/object-capture.ts';

const K = CAPTURE_K;
// Narrower half field of view: atan(24 / 50).
const HALF_FOV = Math.atan(K.cy / K.fx);
const TARGET = BOX_CENTRE;

/** Cameras on a sphere of radius 4 around TARGET, each looking at it (OpenCV axes). */
const objectCameras = (n = 12): BoundedFrame[] => captureCameras(n).map((c2wSource) => ({ c2wSource, intrinsics: K }));

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

describe('an RGBA object capture', () => {
  it('is fitted to what its cameras look at, and its field renders on the background its photos were composited on', async () => {
    const scan = await loadScan(boxCapture(8).source, { decodeImage: decodeImageNode });
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
    expect(fieldBackground(scan)).toEqual({ background: [1, 1, 1], randomBackground: true });
    // The photo's own transparency stays beside it: training composites it on other colours.
    expect(scan.frames[0]!.coverage![0]).toBe(0);
    expect(Math.max(...scan.frames[0]!.coverage!)).toBe(255);
  });

  it('an opaque capture keeps a black background and the cameras’ box', async () => {
    const source = boxCapture(8).source;
    const opaque = new Map<string, Uint8Array>();
    for (const path of source.paths) {
      const bytes = await source.read(path);
      if (!path.endsWith('.png')) opaque.set(path, bytes);
      else opaque.set(path, encode({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(90), channels: 3, depth: 8 }));
    }
    const scan = await loadScan(new MemorySource('opaque', opaque), { decodeImage: decodeImageNode });
    expect(scan.transparent).toBe(false);
    expect(scan.warnings).toContain('no depth: scene bounds come from the camera positions only');
    expect(fieldBackground(scan)).toEqual({ background: [0, 0, 0], randomBackground: false });
    expect(scan.frames.some((f) => f.coverage)).toBe(false);
  });
});
