import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NYU13_CLASSES } from '../../src/synth/nyu13-classes.ts';
import { layoutRoom } from '../../src/synth/room-layout.ts';
import { buildWorld } from '../../src/synth/synthetic-scan.ts';
import { decodePng, listFiles, parseTrajectory, readBytes, runCli, runGenerate } from '../helpers/scan-files.ts';

function digestTree(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((p) => [p, createHash('sha256').update(readBytes(dir, p)).digest('hex')]));
}

function expectedLayout(frames: number): string[] {
  const files = ['classes.json', 'scene.json', 'traj_w_c.txt', 'transforms.json'];
  for (let i = 0; i < frames; i++) files.push(`rgb/rgb_${i}.png`, `depth/depth_${i}.png`, `semantic_class/semantic_class_${i}.png`);
  return files.sort();
}

describe('npm run generate, demo preset', () => {
  let dir: string;
  let stdout: string;
  beforeAll(async () => {
    ({ dir, stdout } = await runGenerate(['--preset', 'demo', '--seed', '3']));
  });

  it('writes the Replica / Semantic-NeRF layout, transforms.json and classes.json', () => {
    expect(stdout).toMatch(/wrote 100 frames \(320x240, preset demo, seed 3\)/);
    expect(listFiles(dir)).toEqual(expectedLayout(100));
    expect(parseTrajectory(readFileSync(join(dir, 'traj_w_c.txt'), 'utf8'))).toHaveLength(100);
    const transforms = JSON.parse(readFileSync(join(dir, 'transforms.json'), 'utf8'));
    expect(transforms).toMatchObject({ w: 320, h: 240, fl_x: 160, fl_y: 160, cx: 160, cy: 120 });
    expect(transforms.frames).toHaveLength(100);
    expect(transforms.frames[42].file_path).toBe('rgb/rgb_42.png');
    const classes = JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8'));
    expect(classes).toHaveLength(13);
    expect(classes.filter((c: { known: boolean }) => !c.known).map((c: { name: string }) => c.name)).toEqual([
      'ceiling',
      'picture',
      'tv',
      'window',
    ]);
  });

  it('writes 8-bit RGB, 16-bit millimetre depth and 8-bit class ids', () => {
    const rgb = decodePng(readBytes(dir, 'rgb/rgb_0.png'));
    const depth = decodePng(readBytes(dir, 'depth/depth_0.png'));
    const label = decodePng(readBytes(dir, 'semantic_class/semantic_class_0.png'));
    expect([rgb.width, rgb.height, rgb.channels, rgb.depth]).toEqual([320, 240, 3, 8]);
    expect([depth.width, depth.height, depth.channels, depth.depth]).toEqual([320, 240, 1, 16]);
    expect([label.width, label.height, label.channels, label.depth]).toEqual([320, 240, 1, 8]);
    // A room of at most 7.4 x 6.8 m: every depth is inside it, and finer than a centimetre.
    const d = Array.from(depth.data);
    expect(Math.min(...d)).toBeGreaterThan(50);
    expect(Math.max(...d)).toBeLessThan(10_500);
    expect(d.some((v) => v % 10 !== 0)).toBe(true);
  });

  it('shows every one of the 13 classes, each in several frames, and no void', () => {
    const pixels = new Map<number, number>();
    const framesWith = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const label = decodePng(readBytes(dir, `semantic_class/semantic_class_${i}.png`)).data;
      const seen = new Set<number>();
      for (const c of label) {
        pixels.set(c, (pixels.get(c) ?? 0) + 1);
        seen.add(c);
      }
      for (const c of seen) framesWith.set(c, (framesWith.get(c) ?? 0) + 1);
    }
    expect(pixels.get(0) ?? 0).toBe(0);
    for (const { id, name } of NYU13_CLASSES) {
      expect(framesWith.get(id) ?? 0, `frames showing ${name}`).toBeGreaterThanOrEqual(5);
      expect(pixels.get(id) ?? 0, `pixels of ${name}`).toBeGreaterThan(0.0005 * 100 * 320 * 240);
    }
  });
});

describe('npm run generate, other presets', () => {
  it('tiny: 8 frames of 64x48', async () => {
    const { dir } = await runGenerate(['--preset', 'tiny']);
    expect(listFiles(dir)).toEqual(expectedLayout(8));
    expect(decodePng(readBytes(dir, 'rgb/rgb_7.png')).width).toBe(64);
    expect(JSON.parse(readFileSync(join(dir, 'scene.json'), 'utf8'))).toMatchObject({ preset: 'tiny', frames: 8, width: 64, height: 48 });
  });

  it('bench: 320x240, 200 frames unless told otherwise', async () => {
    // Rendering all 200 frames is the benchmark's job; the layout is checked on the first 12.
    const { dir } = await runGenerate(['--preset', 'bench', '--frames', '12', '--seed', '11']);
    expect(listFiles(dir)).toEqual(expectedLayout(12));
    expect(decodePng(readBytes(dir, 'depth/depth_11.png')).width).toBe(320);
    expect(buildWorld({ preset: 'bench' }).cameras).toHaveLength(200);
  });
});

describe('determinism and variety', () => {
  it('gives the same bytes for the same seed, whatever the number of workers', async () => {
    const a = await runGenerate(['--preset', 'tiny', '--seed', '5', '--jobs', '1']);
    const b = await runGenerate(['--preset', 'tiny', '--seed', '5', '--jobs', '2']);
    expect(digestTree(b.dir)).toEqual(digestTree(a.dir));
    const c = await runGenerate(['--preset', 'tiny', '--seed', '6']);
    expect(digestTree(c.dir)['rgb/rgb_0.png']).not.toBe(digestTree(a.dir)['rgb/rgb_0.png']);
  });

  it('varies the room with the seed but always furnishes every class', () => {
    const sizes = new Set<string>();
    const objectCounts = new Set<number>();
    for (let seed = 0; seed < 30; seed++) {
      const room = layoutRoom(seed);
      sizes.add(`${room.shell.w.toFixed(2)}x${room.shell.d.toFixed(2)}`);
      objectCounts.add(room.objects.length);
      const classes = new Set(room.objects.flatMap((o) => o.shapes.map((s) => s.surface.classId)));
      for (const id of [1, 2, 4, 6, 7, 8, 9, 10, 11, 13]) expect(classes.has(id), `seed ${seed} class ${id}`).toBe(true);
    }
    expect(sizes.size).toBe(30);
    expect(objectCounts.size).toBeGreaterThan(5);
  });

  it('keeps every camera of 30 seeds out of the furniture', () => {
    // buildWorld throws when a camera would be inside an object.
    for (let seed = 100; seed < 130; seed++) expect(() => buildWorld({ preset: 'bench', seed })).not.toThrow();
  });
});

describe('generate: bad options', () => {
  it.each([
    [['generate'], /--out DIR is required/],
    [['generate', '--out', '/tmp/x', '--preset', 'huge'], /unknown preset 'huge'/],
    [['generate', '--out', '/tmp/x', '--frames', '1'], /--frames must be a whole number from 2/],
    [['generate', '--out', '/tmp/x', '--width', 'wide'], /--width must be a whole number/],
    [['generate', '--out', '/tmp/x', '--colour', 'red'], /unknown option --colour/],
  ])('%j exits 2 with one error line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: /);
  });
});
