/**
 * A person hands the page a scan: a dropped folder, the folder picker, a dropped zip. A bad one
 * shows its error and the scan already loaded stays.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { encode } from 'fast-png';
import {
  halfRedHalfBlue,
  jpegWithOrientation,
  makeFixture,
  toNerfstudio,
  toNiceSlam,
  toScanNet,
  writeFiles,
} from '../helpers/scan-fixtures.ts';
import { fisheye } from '../../src/scan/lens-distortion.ts';
import { usePage } from '../helpers/browser-page.ts';
import { toColmap } from '../helpers/colmap-files.ts';

const fixture = makeFixture(6, 96, 72, 17);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Drops files from disk onto an element the way the OS does (CDP drag events carry real paths). */
async function dropPaths(page: Page, testId: string, paths: string[]): Promise<void> {
  const box = (await page.getByTestId(testId).boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  await cdp.detach();
}

async function waitForStatus(page: Page, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    (p) => new RegExp(p).test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
    pattern.source,
    { timeout: 60_000 },
  );
  return (await page.getByTestId('status').textContent()) ?? '';
}

describe('giving the page a scan', () => {
  const page = usePage();

  it('loads a folder dropped on the drop zone', async () => {
    const { page: p } = page();
    const dir = writeFiles(fixture.files);
    await dropPaths(p, 'dropzone', [dir]);
    const status = await waitForStatus(p, /^Loaded /);
    expect(status).toMatch(/Replica \(Semantic-NeRF layout\), 6 frames/);
    const scan = await p.evaluate(() => window.neurncd.scan());
    expect(scan).toMatchObject({ format: 'replica-semantic-nerf', frames: 6, width: 96, height: 72, hasDepth: true, hasLabels: true });
    expect(await p.getByTestId('scan-summary').textContent()).toContain('Replica (Semantic-NeRF layout)');
    expect(await p.getByTestId('scan-preview').isVisible()).toBe(true);
  });

  it('loads a folder from the folder picker (ScanNet, JPEG through the browser decoder)', async () => {
    const { page: p } = page();
    const dir = writeFiles(toScanNet(fixture));
    await p.getByTestId('folder-picker').setInputFiles(dir);
    await waitForStatus(p, /^Loaded .*ScanNet export, 6 frames/);
    expect(await p.evaluate(() => window.neurncd.scan()?.format)).toBe('scannet');
  });

  it('loads a ScanNet export with a classes.json beside it: its names and known/novel split, not the NYU40 defaults', async () => {
    const { page: p } = page();
    const classes = [
      { id: 1, name: 'wall', known: true },
      { id: 4, name: 'chair', known: false },
      { id: 10, name: '<b>table</b>' },
    ];
    const files = toScanNet(fixture);
    files.set('classes.json', enc(JSON.stringify(classes)));
    const dir = writeFiles(files);
    await dropPaths(p, 'dropzone', [dir]);
    // The status reads as the last test's ScanNet scan did: wait for this folder's.
    await p.waitForFunction((name) => window.neurncd.scan()?.name === name, basename(dir));
    await waitForStatus(p, /^Loaded .*ScanNet export, 6 frames/);
    expect(await p.evaluate(() => window.neurncd.scan())).toMatchObject({ format: 'scannet', classes, hasLabels: true });
    // The summary counts them; a name is text, never markup.
    expect(await p.getByTestId('scan-summary').textContent()).toContain('yes (3 classes)');
    expect(await p.locator('[data-testid="scan-summary"] b').count()).toBe(0);
  });

  it('loads a dropped .zip of a folder', async () => {
    const { page: p } = page();
    const zip = zipSync(Object.fromEntries([...toNerfstudio(fixture)].map(([path, b]) => [`capture/${path}`, b])));
    const dir = writeFiles(new Map());
    writeFileSync(join(dir, 'capture.zip'), zip);
    await dropPaths(p, 'dropzone', [join(dir, 'capture.zip')]);
    await waitForStatus(p, /^Loaded capture\.zip: nerfstudio/);
  });

  it('shows what is wrong with a bad folder and keeps the scan it had', async () => {
    const { page: p } = page();
    const before = await p.evaluate(() => window.neurncd.scan());
    const broken = new Map(toNerfstudio(fixture));
    broken.set('transforms.json', enc('{"frames": [ <b>oops</b>'));
    await dropPaths(p, 'dropzone', [writeFiles(broken)]);
    await waitForStatus(p, /^Could not load that scan; still showing capture\.zip/);
    const error = await p.getByTestId('error').textContent();
    expect(error).toMatch(/^transforms\.json: is not valid JSON/);
    // The message is text: the markup in the file stays visible as characters, never as HTML.
    expect(await p.locator('[data-testid="error"] b').count()).toBe(0);
    expect(await p.evaluate(() => window.neurncd.scan())).toEqual(before);
    expect(await p.evaluate(() => window.neurncd.scanError())).toBe(error);
  });

  it('says a .zip that is not a zip is not one', async () => {
    const { page: p } = page();
    const dir = writeFiles(new Map([['notes.zip', enc('these are notes, not a zip')]]));
    await dropPaths(p, 'dropzone', [join(dir, 'notes.zip')]);
    await p.waitForFunction(() => /notes\.zip: is not a zip file/.test(document.querySelector('[data-testid="error"]')?.textContent ?? ''));
    expect(await p.evaluate(() => window.neurncd.scan()?.name)).toBe('capture.zip');
  });

  it('loads a thinned NICE-SLAM sequence and a fisheye nerfstudio capture with a mask', async () => {
    const { page: p } = page();
    const thinned = toNiceSlam(fixture);
    for (const n of [1, 2, 4, 5])
      for (const kind of ['frame', 'depth']) thinned.delete(`results/${kind}00000${n}.${kind === 'frame' ? 'jpg' : 'png'}`);
    await p.getByTestId('folder-picker').setInputFiles(writeFiles(thinned));
    await waitForStatus(p, /^Loaded .*NICE-SLAM layout\), 2 frames/);
    expect((await p.evaluate(() => window.neurncd.scan()))!.warnings).toEqual([
      expect.stringMatching(/^traj\.txt: 4 of 6 poses are unused/),
    ]);

    const masked = toNerfstudio(fixture);
    const t = JSON.parse(new TextDecoder().decode(masked.get('transforms.json'))) as { frames: Record<string, unknown>[] };
    t.frames[1]!.mask_path = 'masks/1.png';
    Object.assign(t, { camera_model: 'OPENCV_FISHEYE', fl_x: 63, fl_y: 63, cx: 48, cy: 36, k1: 0.05, k2: -0.01 });
    masked.set('transforms.json', enc(JSON.stringify(t)));
    const half = Uint8Array.from({ length: 96 * 72 }, (_, p) => (p % 96 >= 48 ? 255 : 0));
    masked.set('masks/1.png', encode({ width: 96, height: 72, data: half, channels: 1 }));
    await p.getByTestId('folder-picker').setInputFiles(writeFiles(masked));
    await waitForStatus(p, /^Loaded .*nerfstudio.*6 frames/);
    // Frame 1 by its mask; the lens reaches every pixel of the pinhole it is undistorted to.
    expect(await p.evaluate(() => window.neurncd.scan())).toMatchObject({ format: 'nerfstudio', maskedFrames: 1, warnings: [] });
  });

  it('turns JPEGs upright by their EXIF orientation, in the browser decoder', async () => {
    const { page: p } = page();
    const photo = jpegWithOrientation(halfRedHalfBlue(40, 20), 40, 20, 6);
    const pose = (x: number) => [
      [1, 0, 0, x],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ];
    const transforms = { camera_angle_x: 1.2, frames: [0, 1].map((i) => ({ file_path: `images/${i}.jpg`, transform_matrix: pose(i) })) };
    const dir = writeFiles(
      new Map([
        ['images/0.jpg', photo],
        ['images/1.jpg', photo],
        ['transforms.json', enc(JSON.stringify(transforms))],
      ]),
    );
    await p.getByTestId('folder-picker').setInputFiles(dir);
    await waitForStatus(p, /^Loaded .*nerfstudio.*2 frames/);
    expect(await p.evaluate(() => window.neurncd.scan())).toMatchObject({ width: 20, height: 40 });
  });

  it('loads a dropped COLMAP folder (binary model, fisheye camera) and undistorts it in the worker', async () => {
    const { page: p } = page();
    const k = fixture.world.cameras[0]!;
    const camera = {
      model: 'OPENCV_FISHEYE',
      intrinsics: { ...k, fx: k.fx * 1.3, fy: k.fy * 1.3 },
      extra: [0.05, -0.01, 0, 0],
      distortion: fisheye({ k1: 0.05, k2: -0.01 }),
    };
    await dropPaths(p, 'dropzone', [writeFiles(toColmap(fixture, { binary: true, camera }).files)]);
    await waitForStatus(p, /^Loaded .*COLMAP sparse model, 6 frames/);
    const scan = await p.evaluate(() => window.neurncd.scan());
    expect(scan).toMatchObject({ format: 'colmap', frames: 6, width: 96, height: 72, hasDepth: false });
  });

  it('fetched nothing but its own files and logged no errors', () => {
    expect(page().foreignRequests()).toEqual([]);
    expect(page().errors).toEqual([]);
  });
});
