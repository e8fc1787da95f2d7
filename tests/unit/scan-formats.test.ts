/**
 * Every supported format, converted from one generated scene, loads to the same intrinsics,
 * poses, depth in metres and labels as the generator's ground truth.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { makeFixture, toNerfstudio, toNiceSlam, toScanNet, toSevenScenes, type Files } from '../helpers/scan-fixtures.ts';

const fixture = makeFixture();
const W = 128;
const H = 96;

function load(files: Files, longSide?: number): Promise<Scan> {
  return loadScan(new MemorySource('fixture', files), { decodeImage: decodeImageNode, ...(longSide ? { longSide } : {}) });
}

/** Of frame a's depth pixels that fall inside frame b through the loaded poses, the fraction that land on the same depth there. */
function reprojectionAgreement(scan: Scan, a: number, b: number): { agree: number; sameLabel: number } {
  const fa = scan.frames[a]!;
  const fb = scan.frames[b]!;
  let visible = 0;
  let agree = 0;
  let sameLabel = 0;
  const ka = fa.intrinsics;
  const kb = fb.intrinsics;
  for (let j = 0; j < fa.height; j++) {
    for (let i = 0; i < fa.width; i++) {
      const z = fa.depth![j * fa.width + i]!;
      if (!(z > 0)) continue;
      const c = [((i + 0.5 - ka.cx) / ka.fx) * z, ((j + 0.5 - ka.cy) / ka.fy) * z, z];
      const m = fa.c2wSource;
      const w = [0, 1, 2].map((r) => m[r * 4]! * c[0]! + m[r * 4 + 1]! * c[1]! + m[r * 4 + 2]! * c[2]! + m[r * 4 + 3]!);
      const n = fb.c2wSource;
      const d = [0, 1, 2].map((r) => w[r]! - n[r * 4 + 3]!);
      const cb = [0, 1, 2].map((col) => n[col]! * d[0]! + n[4 + col]! * d[1]! + n[8 + col]! * d[2]!);
      if (cb[2]! <= 0.05) continue;
      const u = Math.floor((kb.fx * cb[0]!) / cb[2]! + kb.cx);
      const v = Math.floor((kb.fy * cb[1]!) / cb[2]! + kb.cy);
      if (u < 0 || v < 0 || u >= fb.width || v >= fb.height) continue;
      visible++;
      const zb = fb.depth![v * fb.width + u]!;
      if (Math.abs(zb - cb[2]!) < 0.03 * cb[2]! + 0.01) {
        agree++;
        if (fa.labels && fb.labels && fa.labels[j * fa.width + i] === fb.labels[v * fb.width + u]) sameLabel++;
      }
    }
  }
  return { agree: agree / visible, sameLabel: sameLabel / Math.max(agree, 1) };
}

const expectedK = fixture.world.cameras[0]!;

describe.each([
  ['replica-semantic-nerf', () => fixture.files, { labels: true, depthTolerance: 1e-6 }],
  ['nerfstudio', () => toNerfstudio(fixture), { labels: false, depthTolerance: 1e-6 }],
  ['replica-nice-slam', () => toNiceSlam(fixture), { labels: false, depthTolerance: 0.5 / 6553.5 + 1e-6 }],
  ['scannet', () => toScanNet(fixture), { labels: true, depthTolerance: null }],
  ['7scenes', () => toSevenScenes(fixture), { labels: false, depthTolerance: 1e-6 }],
] as const)('%s', (format, files, expects) => {
  let scan: Scan;
  it('is detected and loads every frame', async () => {
    scan = await load(files());
    expect(scan.format).toBe(format);
    expect(scan.frames).toHaveLength(6);
    expect(scan.imageSize).toEqual({ width: W, height: H });
    expect(scan.hasDepth).toBe(true);
    expect(scan.hasLabels).toBe(expects.labels);
  });

  it('has the generator intrinsics, continuous pixel centres', () => {
    const k = scan.frames[0]!.intrinsics;
    expect(k.fx).toBeCloseTo(expectedK.fx, 6);
    expect(k.fy).toBeCloseTo(expectedK.fy, 6);
    expect(k.cx).toBeCloseTo(W / 2, 6);
    expect(k.cy).toBeCloseTo(H / 2, 6);
  });

  it('has the generator poses (OpenCV camera-to-world)', () => {
    scan.frames.forEach((f, i) => {
      const truth = fixture.world.cameras[i]!.c2w;
      for (let e = 0; e < 16; e++) expect(f.c2wSource[e]).toBeCloseTo(truth[e]!, 6);
    });
  });

  it('has depth in metres', () => {
    const f = scan.frames[2]!;
    const truth = fixture.frames[2]!.depthMm;
    let worst = 0;
    for (let p = 1; p < truth.length; p++) worst = Math.max(worst, Math.abs(f.depth![p]! - truth[p]! / 1000));
    if (expects.depthTolerance !== null) expect(worst).toBeLessThanOrEqual(expects.depthTolerance);
    // ScanNet depth is at half size: each colour pixel takes its depth pixel's value.
    else expect(f.depth![W + 1]).toBeCloseTo(truth[W + 1]! / 1000, 6);
  });

  it('reprojects between frames consistently', () => {
    const { agree, sameLabel } = reprojectionAgreement(scan, 1, 2);
    // Occluded points disagree too; wrong poses would give well under 10%.
    expect(agree).toBeGreaterThan(0.8);
    if (expects.labels) expect(sameLabel).toBeGreaterThan(0.97);
  });

  it('normalises the scene into the unit cube', () => {
    for (const f of scan.frames)
      for (const a of [0, 1, 2]) (expect(f.c2w[a * 4 + 3]).toBeGreaterThan(0), expect(f.c2w[a * 4 + 3]).toBeLessThan(1));
    const { offset, scale } = scan.normalisation;
    const t = scan.frames[0]!.c2wSource;
    expect(scan.frames[0]!.c2w[3]).toBeCloseTo((t[3]! - offset[0]) * scale, 9);
  });
});

describe('labels and resizing', () => {
  it('keeps class ids exactly (Replica semantic_class)', async () => {
    const scan = await load(fixture.files);
    expect(Array.from(scan.frames[3]!.labels!)).toEqual(Array.from(fixture.frames[3]!.label));
    expect(scan.classes?.find((c) => c.id === 11)).toMatchObject({ name: 'tv', known: false });
  });

  it('resizes to the training long side and scales the intrinsics with it', async () => {
    const scan = await load(fixture.files, 64);
    expect(scan.trainingSize).toEqual({ width: 64, height: 48 });
    const k = scan.frames[0]!.intrinsics;
    expect([k.fx, k.fy, k.cx, k.cy]).toEqual([expectedK.fx / 2, expectedK.fy / 2, 32, 24]);
    // Area averaging: a training pixel is the mean of its 2x2 source block.
    const src = fixture.frames[0]!.rgb;
    const mean = (src[0]! + src[3]! + src[W * 3]! + src[W * 3 + 3]!) / 4;
    expect(Math.abs(scan.frames[0]!.rgba[0]! - mean)).toBeLessThanOrEqual(1);
    expect(scan.frames[0]!.depth).toHaveLength(64 * 48);
  });

  it('sorts frames by number, not lexically', async () => {
    const many = makeFixture(12, 32, 24, 3);
    const scan = await load(many.files);
    expect(scan.frames.map((f) => f.name).slice(8)).toEqual(['rgb/rgb_8.png', 'rgb/rgb_9.png', 'rgb/rgb_10.png', 'rgb/rgb_11.png']);
    expect(scan.frames[10]!.c2wSource[3]).toBeCloseTo(many.world.cameras[10]!.c2w[3]!, 6);
  });

  it('finds the scan inside a single top folder (a zipped or dropped folder)', async () => {
    const nested: Files = new Map([...fixture.files].map(([p, b]) => [`my scan/${p}`, b]));
    nested.set('my scan/.DS_Store', new Uint8Array([0]));
    expect((await load(nested)).frames).toHaveLength(6);
  });

  it('finds the scan in a subfolder when the folder holds several (a Replica room with two sequences)', async () => {
    const room: Files = new Map();
    for (const [p, b] of fixture.files) {
      room.set(`Sequence_2/${p}`, b);
      room.set(`Sequence_1/${p}`, b);
    }
    room.set('README.txt', new TextEncoder().encode('Replica room_0'));
    const scan = await load(room);
    expect(scan.frames).toHaveLength(6);
    expect(scan.sourceName).toBe('fixture/Sequence_1');
    expect(scan.warnings[0]).toMatch(/loaded the scan in fixture\/Sequence_1 \(1 more scan folder found; drop one to load it\)/);
  });

  it('loads at most maxFrames frames, evenly spread, and says so', async () => {
    const many = makeFixture(12, 32, 24, 3);
    const scan = await loadScan(new MemorySource('fixture', many.files), { decodeImage: decodeImageNode, maxFrames: 4 });
    expect(scan.frames.map((f) => f.sourceIndex)).toEqual([0, 3, 6, 9]);
    expect(scan.warnings.join()).toMatch(/using 4 of 12 frames, evenly spread/);
  });
});
