/**
 * nerfstudio masks (mask_path): 0 = masked out. The loader brings each mask to the training size
 * with its image; masked pixels lose their depth and labels, so scoring never counts them.
 */
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { scoreLabelMaps } from '../../src/eval/label-scoring.ts';
import { clearMasked } from '../../src/scan/frame-mask.ts';
import { fisheye, Lens, radialTangential } from '../../src/scan/lens-distortion.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { undistortRgba } from '../../src/scan/resample.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { runCli } from '../helpers/scan-files.ts';
import { makeFixture, toNerfstudio, writeFiles, type Files } from '../helpers/scan-fixtures.ts';

const W = 64;
const H = 48;
const fixture = makeFixture(4, W, H, 17);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
type Transforms = Record<string, unknown> & { frames: Record<string, unknown>[] };

/** A grey mask, `keep(x, y)` = 255; `channels` 4 writes it as opaque white / transparent RGBA. */
function maskPng(width: number, height: number, keep: (x: number, y: number) => boolean, channels: 1 | 4 = 1): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      if (channels === 1) data[p] = keep(x, y) ? 255 : 0;
      else data.set(keep(x, y) ? [255, 255, 255, 255] : [255, 255, 255, 0], p);
    }
  return encode({ width, height, data, channels });
}

/** The nerfstudio fixture with frame 1 masked by `mask` (none: mask_path names a missing file). */
function masked(mask: Uint8Array | null, change: (t: Transforms) => void = () => {}): Files {
  const files = toNerfstudio(fixture);
  const t = JSON.parse(new TextDecoder().decode(files.get('transforms.json'))) as Transforms;
  t.frames[1]!.mask_path = 'masks/mask_1.png';
  change(t);
  if (mask) files.set('masks/mask_1.png', mask);
  files.set('transforms.json', enc(JSON.stringify(t)));
  return files;
}

/** A keep map as white RGBA (KEEP in every channel where kept), as the loader undistorts masks. */
const keepRgba = (width: number, height: number, keep: (x: number, y: number) => boolean): Uint8ClampedArray => {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) if (keep(p % width, Math.floor(p / width))) rgba.fill(255, p * 4, p * 4 + 4);
  return rgba;
};

const load = (files: Files, longSide?: number): Promise<Scan> =>
  loadScan(new MemorySource('masked', files), { decodeImage: decodeImageNode, ...(longSide ? { longSide } : {}) });
const kept = (mask: Uint8Array): number => mask.reduce((n, v) => n + (v ? 1 : 0), 0);
const rightHalf = (x: number): boolean => x >= W / 2;

describe('mask_path', () => {
  it('a mask that hides the left half keeps exactly the right half; other frames have no mask', async () => {
    const scan = await load(masked(maskPng(W, H, rightHalf)));
    const f = scan.frames[1]!;
    expect(kept(f.mask!)).toBe((W * H) / 2);
    for (let p = 0; p < W * H; p++) expect(f.mask![p]).toBe(rightHalf(p % W) ? 1 : 0);
    expect(scan.frames[0]!.mask).toBeUndefined();
    expect(scan.warnings).toEqual([]);
  });

  it('masked pixels have no depth; kept pixels keep theirs', async () => {
    const scan = await load(masked(maskPng(W, H, rightHalf)));
    const f = scan.frames[1]!;
    const truth = fixture.frames[1]!.depthMm;
    for (const p of [W + 3, 20 * W + 10]) expect(f.depth![p]).toBe(0);
    for (const p of [W + 40, 20 * W + 50]) expect(f.depth![p]).toBeCloseTo(truth[p]! / 1000, 6);
  });

  it('an RGBA mask (transparent = masked out) and a downscaled mask mean the same', async () => {
    const rgba = await load(masked(maskPng(W, H, rightHalf, 4)));
    const small = await load(masked(maskPng(W / 2, H / 2, (x) => x >= W / 4)));
    const whole = await load(masked(maskPng(W, H, rightHalf)));
    expect(Array.from(rgba.frames[1]!.mask!)).toEqual(Array.from(whole.frames[1]!.mask!));
    expect(Array.from(small.frames[1]!.mask!)).toEqual(Array.from(whole.frames[1]!.mask!));
  });

  it('at a smaller training size, a pixel is kept only where every image pixel it averages is kept', async () => {
    // The boundary at x = 33 cuts training pixel 16 (image pixels 32 and 33): it is masked.
    const scan = await load(masked(maskPng(W, H, (x) => x >= 33)), 32);
    const f = scan.frames[1]!;
    expect([f.width, f.height]).toEqual([32, 24]);
    expect(kept(f.mask!)).toBe((32 - 17) * 24);
    expect(f.mask![16]).toBe(0);
    expect(f.mask![17]).toBe(1);
  });

  it('goes through the same undistortion as its image: pixels the lens leaves empty are masked', async () => {
    const d = { k1: 0.3, k2: 0.05, p1: 0, p2: 0 };
    const scan = await load(
      masked(
        maskPng(W, H, () => true),
        (t) => Object.assign(t.frames[1]!, d),
      ),
    );
    const f = scan.frames[1]!;
    const k = { fx: fixture.world.cameras[0]!.fx, fy: fixture.world.cameras[0]!.fy, cx: W / 2, cy: H / 2, width: W, height: H };
    const empty = undistortRgba(new Uint8ClampedArray(W * H * 4).fill(255), new Lens(k, radialTangential(d)));
    let corners = 0;
    for (let p = 0; p < W * H; p++) {
      expect(f.mask![p]).toBe(empty[p * 4 + 3] === 255 ? 1 : 0);
      if (!f.mask![p]) corners++;
    }
    // Pincushion distortion undone: the ideal image's corners see past the photo's edge.
    expect(corners).toBeGreaterThan(W * H * 0.05);
  });

  it('a fisheye capture with masks: a frame keeps what both its mask and its lens keep, the others what their lens keeps', async () => {
    const d = { k1: 0.05, k2: -0.01, k3: 0.002, k4: -0.0005 };
    const lensK = { fx: 42, fy: 42, cx: W / 2, cy: H / 2, width: W, height: H };
    const scan = await load(
      masked(maskPng(W, H, rightHalf), (t) =>
        Object.assign(t, { camera_model: 'OPENCV_FISHEYE', fl_x: 42, fl_y: 42, cx: W / 2, cy: H / 2, ...d }),
      ),
    );
    const lens = new Lens(lensK, fisheye(d));
    const reached = undistortRgba(new Uint8ClampedArray(W * H * 4).fill(255), lens);
    const right = undistortRgba(keepRgba(W, H, rightHalf), lens);
    const lensKeeps = (p: number): boolean => reached[p * 4 + 3] === 255;
    // Undistorted to the pinhole its narrower edges bound (Lens.undistortedPinhole), an
    // equidistant lens reaches every pixel: its corners look less far off axis than the photo's
    // own. Only the file's mask takes pixels out (the pincushion test above has unreached corners).
    const corners = Array.from({ length: W * H }, (_, p) => p).filter((p) => !lensKeeps(p)).length;
    expect(corners).toBe(0);
    for (const [i, f] of scan.frames.entries()) {
      // A frame the lens and its file (if any) keep whole has no mask at all.
      expect(f.mask === undefined).toBe(i !== 1);
      for (let p = 0; p < W * H; p++) {
        const keep = lensKeeps(p) && (i !== 1 || (right[p * 4] === 255 && right[p * 4 + 3] === 255));
        expect(f.mask?.[p] ?? 1).toBe(keep ? 1 : 0);
        if (!keep) expect(f.depth![p]).toBe(0);
      }
    }
    // The masked frame keeps a little under half of the frame.
    const share = kept(scan.frames[1]!.mask!) / (W * H);
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.55);
  });

  it('labels under the mask become void, and label scoring counts only the kept half', async () => {
    const scan = await load(masked(maskPng(W, H, rightHalf)));
    const mask = scan.frames[1]!.mask!;
    const labels = Uint16Array.from(fixture.frames[1]!.label);
    const keptLabelled = labels.reduce((n, id, p) => n + (id > 0 && rightHalf(p % W) ? 1 : 0), 0);
    clearMasked(mask, { labels });
    const classes = [...new Set(labels)].filter((id) => id > 0).map((id) => ({ id, name: `class ${id}`, known: true }));
    const score = scoreLabelMaps(
      { frames: [labels], classes },
      [{ frame: 0, classes: Int32Array.from(labels, (id) => classes.findIndex((c) => c.id === id)) }],
      classes,
      classes.length,
    );
    expect(keptLabelled).toBeGreaterThan(0);
    expect(keptLabelled).toBeLessThan(fixture.frames[1]!.label.filter((id) => id > 0).length);
    expect(score.pixels).toBe(keptLabelled);
  });
});

describe('masks that cannot be used', () => {
  it('a missing mask file: the frame is used without a mask, a warning names the file', async () => {
    const scan = await load(masked(null));
    expect(scan.frames).toHaveLength(4);
    expect(scan.frames[1]!.mask).toBeUndefined();
    expect(scan.warnings).toEqual([
      'masks/mask_1.png: is referenced but missing: rgb/rgb_1.png is used without a mask (ignored for this frame)',
    ]);
  });

  it('a mask of another shape than its image: used without it, a warning names the file', async () => {
    const scan = await load(masked(maskPng(W, W, rightHalf)));
    expect(scan.frames[1]!.mask).toBeUndefined();
    expect(scan.warnings.join()).toMatch(/masks\/mask_1\.png: is 64x64, not the shape of its image rgb\/rgb_1\.png \(64x48\)/);
  });

  it('a mask that masks out every pixel: the frame is skipped', async () => {
    const scan = await load(masked(maskPng(W, H, () => false)));
    expect(scan.frames.map((f) => f.name)).toEqual(['rgb/rgb_0.png', 'rgb/rgb_2.png', 'rgb/rgb_3.png']);
    expect(scan.warnings.join()).toMatch(/skipped 1 of 4 frames: masks\/mask_1\.png: masks out every pixel of rgb\/rgb_1\.png/);
  });

  it('a mask_path that is not a path is an error naming the file and the key', async () => {
    await expect(load(masked(null, (t) => (t.frames[2]!.mask_path = 3)))).rejects.toThrow(
      /^transforms\.json: frames\[2\]\.mask_path should be a path \(a string\)$/,
    );
  });
});

describe('npm run inspect-scan', () => {
  it('counts the masked frames', async () => {
    const dir = writeFiles(masked(maskPng(W, H, rightHalf)));
    const json = await runCli(['inspect-scan', dir, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ frames: 4, masked_frames: 1, applied_transform: null });
    expect((await runCli(['inspect-scan', dir])).stdout).toMatch(/masks: +1 frame \(masked pixels are neither trained on nor scored\)/);
  });

  it('loads a fisheye capture with a mask: only the frame with a mask is masked (the lens reaches every pixel)', async () => {
    const fisheyeCapture = masked(maskPng(W, H, rightHalf), (t) =>
      Object.assign(t, { camera_model: 'OPENCV_FISHEYE', fl_x: 42, fl_y: 42, cx: W / 2, cy: H / 2, k1: 0.05, k2: -0.01 }),
    );
    const json = await runCli(['inspect-scan', writeFiles(fisheyeCapture), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ format: 'nerfstudio', frames: 4, masked_frames: 1, warnings: [] });
  });
});
