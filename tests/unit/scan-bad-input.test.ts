/**
 * Broken scan folders: each problem gets a message naming the file and the problem; a few bad
 * frames are skipped with a warning; the command line says `error: ...` and exits 2.
 */
import { zipSync } from 'fflate';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { zipSource } from '../../src/scan/zip-source.ts';
import { editFiles, editTransforms, makeFixture, toNerfstudio, writeFiles, type Files, type Transforms } from '../helpers/scan-fixtures.ts';
import { runCli } from '../helpers/scan-files.ts';
import { blobOf } from '../helpers/zip-files.ts';

const fixture = makeFixture(6, 64, 48, 9);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function load(files: Files) {
  return loadScan(new MemorySource('my-scan', files), { decodeImage: decodeImageNode });
}

const transformsWith = (change: (t: Transforms) => void): Files => editTransforms(toNerfstudio(fixture), change);

const trajLines = new TextDecoder().decode(fixture.files.get('traj_w_c.txt')).trim().split('\n');

describe('folders that cannot load give one clear error', () => {
  it.each<[string, Files, RegExp]>([
    ['an empty folder', new Map(), /^my-scan: is empty/],
    [
      'an unknown layout',
      new Map([['photos/a.jpg', new Uint8Array(3)]]),
      /^my-scan: is not a scan layout this app knows\. It looked for: traj_w_c\.txt.*transforms\.json.*traj\.txt.*color\/N\.jpg.*frame-NNNNNN/,
    ],
    [
      'invalid JSON',
      editFiles(toNerfstudio(fixture), (f) => f.set('transforms.json', enc('{"frames": ['))),
      /^transforms\.json: is not valid JSON/,
    ],
    [
      'no frames key',
      transformsWith((t) => delete (t as Record<string, unknown>).frames),
      /^transforms\.json: is missing the key "frames"/,
    ],
    [
      'a frame without a pose',
      transformsWith((t) => delete t.frames[1]!.transform_matrix),
      /^transforms\.json: frames\[1\] is missing the key "transform_matrix"/,
    ],
    [
      'no intrinsics',
      transformsWith((t) => {
        for (const k of ['fl_x', 'fl_y', 'cx', 'cy']) delete t[k];
      }),
      /^transforms\.json: has no intrinsics for frames\[0\]/,
    ],
    [
      'fewer poses than images',
      editFiles(fixture.files, (f) => f.set('traj_w_c.txt', enc(trajLines.slice(0, 4).join('\n')))),
      /^traj_w_c\.txt: has 4 poses but rgb\/ has 6 images/,
    ],
    [
      'a cam_params.json without a camera',
      new Map([
        ['traj.txt', fixture.files.get('traj_w_c.txt')!],
        ['results/frame000000.jpg', new Uint8Array(4)],
        ['cam_params.json', enc('{"w": 3}')],
      ]),
      /^cam_params\.json: is missing the key "camera"/,
    ],
    [
      'a pose file that is not numbers',
      new Map([
        ['color/0.jpg', new Uint8Array(4)],
        ['pose/0.txt', enc('identity')],
        ['intrinsic/intrinsic_color.txt', enc('1 0 0 0 1 0 0 0 1')],
      ]),
      /^pose\/0\.txt: word 1 \('identity'\) is not a number/,
    ],
    [
      'only one frame',
      editFiles(fixture.files, (f) => {
        for (let i = 1; i < 6; i++) f.delete(`rgb/rgb_${i}.png`);
        f.set('traj_w_c.txt', enc(trajLines[0]!));
      }),
      /^my-scan: has 1 usable frame, at least 2 are needed/,
    ],
  ])('%s', async (_, files, message) => {
    await expect(load(files)).rejects.toThrow(message);
  });

  it('a zip that is not a zip', async () => {
    await expect(zipSource('scan.zip', blobOf(enc('just text, no zip here at all')))).rejects.toThrow(/^scan\.zip: is not a zip file/);
    await expect(zipSource('cut.zip', blobOf(zipSync({ 'a.txt': enc('x'.repeat(100)) }).slice(0, 40)))).rejects.toThrow(
      /^cut\.zip: is not a readable zip file/,
    );
  });

  it('every frame broken: says why, for the first few', async () => {
    const files = editFiles(fixture.files, (f) => {
      for (let i = 0; i < 6; i++) f.set(`rgb/rgb_${i}.png`, f.get(`rgb/rgb_${i}.png`)!.slice(0, 60));
    });
    await expect(load(files)).rejects.toThrow(
      /^my-scan: has 0 usable frames, at least 2 are needed: rgb\/rgb_0\.png: is an unreadable or truncated PNG/,
    );
  });
});

describe('a few bad frames are skipped with a warning, the rest load', () => {
  it.each<[string, Files, RegExp]>([
    [
      'a non-finite pose',
      editFiles(fixture.files, (f) =>
        f.set('traj_w_c.txt', enc(trajLines.map((l, i) => (i === 2 ? l.replace(/^\S+/, 'nan') : l)).join('\n'))),
      ),
      /traj_w_c\.txt: pose on line 3 is not finite/,
    ],
    [
      'a non-rigid pose',
      editFiles(fixture.files, (f) =>
        f.set(
          'traj_w_c.txt',
          enc(
            trajLines
              .map((l, i) =>
                i === 4
                  ? l
                      .split(' ')
                      .map((v, k) => (k === 0 ? String(2 * Number(v)) : v))
                      .join(' ')
                  : l,
              )
              .join('\n'),
          ),
        ),
      ),
      /traj_w_c\.txt: pose on line 5 is not rigid/,
    ],
    [
      'an image referenced but missing',
      editFiles(toNerfstudio(fixture), (f) => f.delete('rgb/rgb_3.png')),
      /rgb\/rgb_3\.png: is referenced but missing/,
    ],
    [
      'a truncated image',
      editFiles(fixture.files, (f) => f.set('rgb/rgb_1.png', f.get('rgb/rgb_1.png')!.slice(0, 200))),
      /rgb\/rgb_1\.png: is an unreadable or truncated PNG/,
    ],
    [
      'an image that is no image',
      editFiles(fixture.files, (f) => f.set('rgb/rgb_1.png', enc('<html>not found</html>'))),
      /rgb\/rgb_1\.png: is not a PNG image|rgb\/rgb_1\.png: is not a PNG or JPEG image/,
    ],
    [
      'a frame of another size',
      editFiles(fixture.files, (f) =>
        f.set('rgb/rgb_5.png', encode({ width: 32, height: 24, data: new Uint8Array(32 * 24 * 3), channels: 3 })),
      ),
      /rgb\/rgb_5\.png: is 32x24 but the first frame is 64x48/,
    ],
  ])('%s', async (_, files, warning) => {
    const scan = await load(files);
    expect(scan.frames).toHaveLength(5);
    expect(scan.warnings.join('\n')).toMatch(/skipped 1 of 6 frames/);
    expect(scan.warnings.join('\n')).toMatch(warning);
  });

  it('depth of another size than its image: that depth is ignored, the frame stays', async () => {
    const files = editFiles(fixture.files, (f) =>
      f.set('depth/depth_2.png', encode({ width: 32, height: 24, data: new Uint16Array(32 * 24), channels: 1, depth: 16 })),
    );
    const scan = await load(files);
    expect(scan.frames).toHaveLength(6);
    expect(scan.frames[2]!.depth).toBeUndefined();
    expect(scan.frames[3]!.depth).toBeDefined();
    expect(scan.warnings.join('\n')).toMatch(
      /depth\/depth_2\.png: is 32x24 but its image rgb\/rgb_2\.png is 64x48 \(ignored for this frame\)/,
    );
  });
});

describe('npm run inspect-scan', () => {
  it('reports a scan as JSON with the documented keys', async () => {
    const dir = writeFiles(fixture.files);
    const r = await runCli(['inspect-scan', dir, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      format: 'replica-semantic-nerf',
      frames: 6,
      width: 64,
      height: 48,
      fx: 32,
      fy: 32,
      cx: 32,
      cy: 24,
      has_depth: true,
      has_labels: true,
      warnings: [],
    });
  });

  it('reads a zip of the folder, and prints a readable summary without --json', async () => {
    const zipped = zipSync(Object.fromEntries([...toNerfstudio(fixture)].map(([p, b]) => [`scan/${p}`, b])));
    const dir = writeFiles(new Map([['scan.zip', zipped]]));
    const r = await runCli(['inspect-scan', `${dir}/scan.zip`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/format: +nerfstudio \/ instant-ngp transforms\.json/);
    expect(r.stdout).toMatch(/frames: +6/);
    expect(r.stdout).toMatch(/intrinsics: +fx 32 +fy 32 +cx 32 +cy 24/);
  });

  it.each<[string, Files | null, RegExp]>([
    ['a missing folder', null, /^error: .*does not exist$/],
    ['an unknown layout', new Map([['notes.txt', enc('hello')]]), /^error: .*: is not a scan layout this app knows/],
    [
      'a broken transforms.json',
      editFiles(toNerfstudio(fixture), (f) => f.set('transforms.json', enc('nope'))),
      /^error: transforms\.json: is not valid JSON/,
    ],
  ])('%s: one error line, exit 2', async (_, files, message) => {
    const dir = files ? writeFiles(files) : '/nonexistent/scan';
    const r = await runCli(['inspect-scan', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });
});
