/**
 * Thinned sequences: every 3rd image of a generated scan kept, every pose kept. Each image takes
 * the pose of its own frame number, the same pose as in the whole sequence, and one warning says
 * how many poses are unused. Too short a trajectory is an error naming the frame.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { runCli } from '../helpers/scan-files.ts';
import { makeFixture, toNiceSlam, toScanNet, toSevenScenes, writeFiles, type Files } from '../helpers/scan-fixtures.ts';

const fixture = makeFixture(9, 32, 24, 5);
const load = (files: Files): Promise<Scan> => loadScan(new MemorySource('thinned', files), { decodeImage: decodeImageNode });

/** Without the colour (and depth, label) files of frames whose number is not a multiple of 3. */
function thinned(files: Files, perFrame: (n: number) => string[]): Files {
  const out = new Map(files);
  for (let n = 0; n < 9; n++) if (n % 3 !== 0) for (const p of perFrame(n)) expect(out.delete(p)).toBe(true);
  return out;
}

const pad = (n: number): string => String(n).padStart(6, '0');

describe.each<[string, () => Files, (n: number) => string[], RegExp]>([
  [
    'replica-semantic-nerf',
    () => fixture.files,
    (n) => [`rgb/rgb_${n}.png`, `depth/depth_${n}.png`, `semantic_class/semantic_class_${n}.png`],
    /^traj_w_c\.txt: 6 of 9 poses are unused/,
  ],
  [
    'replica-nice-slam',
    () => toNiceSlam(fixture),
    (n) => [`results/frame${pad(n)}.jpg`, `results/depth${pad(n)}.png`],
    /^traj\.txt: 6 of 9 poses are unused/,
  ],
  [
    'scannet',
    () => toScanNet(fixture),
    (n) => [`color/${n}.jpg`, `depth/${n}.png`, `label-filt/${n}.png`],
    /^pose\/: 6 of 9 poses are unused/,
  ],
  [
    '7scenes',
    () => toSevenScenes(fixture),
    (n) => [`seq-01/frame-${pad(n)}.color.png`, `seq-01/frame-${pad(n)}.depth.png`],
    /^frame-NNNNNN\.pose\.txt: 6 of 9 poses are unused/,
  ],
])('%s, every 3rd image', (format, files, perFrame, warning) => {
  it('each image takes the pose of its own number, with one warning', async () => {
    const whole = await load(files());
    const scan = await load(thinned(files(), perFrame));
    expect(scan.format).toBe(format);
    expect(scan.frames).toHaveLength(3);
    for (const [i, f] of scan.frames.entries()) {
      const same = whole.frames.find((w) => w.name === f.name)!;
      expect(same.name).toBe(whole.frames[3 * i]!.name);
      expect(Array.from(f.c2wSource)).toEqual(Array.from(same.c2wSource));
      const truth = fixture.world.cameras[3 * i]!.c2w;
      for (let e = 0; e < 16; e++) expect(f.c2wSource[e]).toBeCloseTo(truth[e]!, 6);
    }
    const unused = scan.warnings.filter((w) => /poses are unused/.test(w));
    expect(unused).toHaveLength(1);
    expect(unused[0]).toMatch(warning);
    expect(whole.warnings.join()).not.toMatch(/unused/);
  });
});

describe('a trajectory shorter than the frame numbers', () => {
  const lines = new TextDecoder().decode(fixture.files.get('traj_w_c.txt')).trim().split('\n');

  it('is an error naming the trajectory and the frame (NICE-SLAM)', async () => {
    const files = thinned(toNiceSlam(fixture), (n) => [`results/frame${pad(n)}.jpg`, `results/depth${pad(n)}.png`]);
    files.set('traj.txt', new TextEncoder().encode(lines.slice(0, 5).join('\n')));
    await expect(load(files)).rejects.toThrow(
      /^traj\.txt: has 5 poses \(lines 1\.\.5\), too few for results\/frame000006\.jpg: frame 6 takes the pose on line 7$/,
    );
  });

  it('fewer poses than images stays the error it was (Semantic-NeRF)', async () => {
    const files = new Map(fixture.files);
    files.set('traj_w_c.txt', new TextEncoder().encode(lines.slice(0, 8).join('\n')));
    await expect(load(files)).rejects.toThrow(/^traj_w_c\.txt: has 8 poses but rgb\/ has 9 images/);
  });
});

describe('npm run inspect-scan on a thinned NICE-SLAM sequence', () => {
  const niceSlamThinned = (): Files => thinned(toNiceSlam(fixture), (n) => [`results/frame${pad(n)}.jpg`, `results/depth${pad(n)}.png`]);

  it('loads its 3 images with the warning', async () => {
    const r = await runCli(['inspect-scan', writeFiles(niceSlamThinned()), '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ format: 'replica-nice-slam', frames: 3 });
    expect(json.warnings).toEqual([expect.stringMatching(/^traj\.txt: 6 of 9 poses are unused/)]);
  });

  it('too short a trajectory: one error line naming it and the frame, exit 2', async () => {
    const files = niceSlamThinned();
    const lines = new TextDecoder().decode(files.get('traj.txt')).trim().split('\n');
    files.set('traj.txt', new TextEncoder().encode(lines.slice(0, 5).join('\n')));
    const r = await runCli(['inspect-scan', writeFiles(files)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: traj\.txt: has 5 poses \(lines 1\.\.5\), too few for results\/frame000006\.jpg/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
