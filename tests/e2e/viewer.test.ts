/**
 * The viewer as a person uses it: the page opens on the demo room and trains by itself; novel
 * classes appear in the legend; clicking an object shows its embedding in the inspector and the
 * "similar" view lights up that object; at a training camera its photo is shown beside the
 * rendering; every view mode draws something of its own; the page answers clicks while it trains;
 * a dropped scan of another format replaces the demo; a model picked in the panel starts it over.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { knownColour } from '../../src/discover/class-colours.ts';
import { VIEW_MODES } from '../../src/viewer/view-modes.ts';
import { usePage } from '../helpers/browser-page.ts';
import { makeFixture, toNerfstudio, writeFiles } from '../helpers/scan-fixtures.ts';

/** The canvas as shown, RGBA. */
async function canvasPixels(page: Page): Promise<{ width: number; height: number; data: Uint8Array }> {
  const png = decode(await page.getByTestId('view').screenshot());
  const channels = png.channels;
  const data = new Uint8Array(png.width * png.height * 4);
  for (let p = 0; p < png.width * png.height; p++) {
    for (let c = 0; c < 3; c++) data[p * 4 + c] = Number(png.data[p * channels + c]);
    data[p * 4 + 3] = 255;
  }
  return { width: png.width, height: png.height, data };
}

async function shownCount(page: Page): Promise<number> {
  return Number((await page.getByTestId('view').getAttribute('data-shown')) ?? 0);
}

/** Waits until the canvas shows a new image in `mode` (data-mode), after `after` images. */
async function waitForImage(page: Page, mode: string, after: number, frame?: number, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    ([m, n, f]) => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="view"]');
      return c?.dataset.mode === m && Number(c.dataset.shown ?? 0) > Number(n) && (f === null || c.dataset.frame === String(f));
    },
    [mode, after, frame ?? null] as const,
    { timeout },
  );
  // three.js draws on the next animation frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Picks a view mode and waits for its image (at once when the canvas already shows that mode). */
async function selectMode(page: Page, label: string, id: string): Promise<void> {
  const before = await shownCount(page);
  await page.getByTestId('view-mode').selectOption({ label });
  await waitForImage(page, id, (await page.getByTestId('view').getAttribute('data-mode')) === id ? before - 1 : before);
}

/** Puts the view at training camera `index` with the panel's field, and waits for its image. */
async function goToCamera(page: Page, index: number): Promise<void> {
  const view = page.getByTestId('view');
  const mode = (await view.getAttribute('data-mode'))!;
  const before = await shownCount(page);
  const input = page.getByTestId('camera-index');
  const unchanged = (await input.inputValue()) === String(index) && (await view.getAttribute('data-frame')) === String(index);
  await input.fill(String(index));
  await input.press('Enter');
  await waitForImage(page, mode, unchanged ? before - 1 : before, index);
}

/** The centre of the largest square that fits in `mask` (an integral image answers each square in O(1)). */
function deepestPixel(mask: Uint8Array, width: number, height: number): number {
  const sums = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      sums[(y + 1) * (width + 1) + x + 1] =
        mask[y * width + x]! + sums[y * (width + 1) + x + 1]! + sums[(y + 1) * (width + 1) + x]! - sums[y * (width + 1) + x]!;
  const full = (x: number, y: number, r: number): boolean => {
    const at = (xx: number, yy: number) => sums[yy * (width + 1) + xx]!;
    return at(x + r + 1, y + r + 1) - at(x - r, y + r + 1) - at(x + r + 1, y - r) + at(x - r, y - r) === (2 * r + 1) ** 2;
  };
  let best = { r: -1, p: 0 };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let r = best.r + 1;
      while (x - r >= 0 && y - r >= 0 && x + r < width && y + r < height && full(x, y, r)) best = { r: r++, p: y * width + x };
    }
  return best.p;
}

/** Mean RGB of an 8 x 6 grid of blocks of an RGBA image (what a photo and a rendering of it share at any resolution). */
function thumbnail(data: Uint8Array, width: number, height: number): number[] {
  const out = new Array<number>(8 * 6 * 3).fill(0);
  const counts = new Array<number>(8 * 6).fill(0);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const cell = Math.floor((y * 6) / height) * 8 + Math.floor((x * 8) / width);
      counts[cell]!++;
      for (let c = 0; c < 3; c++) out[cell * 3 + c]! += data[(y * width + x) * 4 + c]!;
    }
  return out.map((v, i) => v / counts[Math.floor(i / 3)]!);
}

const luminance = (d: Uint8Array, p: number): number => 0.2126 * d[p * 4]! + 0.7152 * d[p * 4 + 1]! + 0.0722 * d[p * 4 + 2]!;

describe('the viewer', () => {
  // The smallest window the side panel is laid out for: the inspector must show without scrolling.
  const page = usePage('', { live: true, viewport: { width: 1400, height: 900 } });

  it('trains the demo by itself until a novel class is in the legend', async () => {
    const { page: p, errors } = page();
    try {
      await p.waitForSelector('[data-testid="legend-item"][data-novel="true"]', { timeout: 900_000 });
    } catch (e) {
      throw new Error(`no novel class in the legend; status: ${await p.getByTestId('status').textContent()}`, { cause: e });
    }
    await p.waitForFunction(
      () => /Training: step .*Discovery: update/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );
    const status = (await p.getByTestId('status').textContent()) ?? '';
    expect(status).toMatch(/Training: step \d+, [\d.]+ steps\/s, PSNR [\d.]+ dB/);
    expect(status).toMatch(/Discovery: update \d+ at step \d+, \d+ classes \(\d+ novel\)/);
    const novel = await p.locator('[data-testid="legend-item"][data-novel="true"]').first().getAttribute('data-class-name');
    expect(novel).toMatch(/^novel-\d+$/);
    // Just discovered: marked as new.
    expect(await p.locator('[data-testid="legend-item"][data-novel="true"] [data-testid="legend-new"]:visible').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 960_000);

  it('answers a click within a second while training', async () => {
    const { page: p } = page();
    const box = (await p.getByTestId('view').boundingBox())!;
    const started = Date.now();
    await p.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6);
    await p.waitForSelector('[data-testid="inspector-entropy"]', { timeout: 10_000 });
    const elapsed = Date.now() - started;
    console.log(`[viewer] click answered in ${elapsed} ms while training`);
    expect(elapsed).toBeLessThan(1000);
  });

  it('shows the photo of a training camera beside its rendering, and hides it away from the cameras', { timeout: 300_000 }, async () => {
    const { page: p } = page();
    const photo = p.getByTestId('camera-photo');
    const scan = (await p.evaluate(() => window.neurncd.scan()))!;
    await selectMode(p, 'RGB', 'rgb');
    try {
      const photos = new Map<number, number[]>();
      const renders = new Map<number, number[]>();
      for (const camera of [0, 7]) {
        await goToCamera(p, camera);
        expect(await photo.isVisible()).toBe(true);
        expect(await photo.getAttribute('data-frame')).toBe(String(camera));
        const shot = await photo.locator('canvas').evaluate((c: HTMLCanvasElement) => ({
          width: c.width,
          height: c.height,
          data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data),
        }));
        expect([shot.width, shot.height]).toEqual([scan.trainingWidth, scan.trainingHeight]);
        photos.set(camera, thumbnail(Uint8Array.from(shot.data), shot.width, shot.height));
        // The rendering alone (the inset covers a corner of the canvas).
        await p.getByTestId('show-photo').uncheck();
        expect(await photo.isVisible()).toBe(false);
        const view = await canvasPixels(p);
        renders.set(camera, thumbnail(view.data, view.width, view.height));
        await p.getByTestId('show-photo').check();
      }
      // Each photo is the one its camera saw: closer to the field's rendering there than the other camera's photo is.
      const distance = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;
      const at0 = [distance(photos.get(0)!, renders.get(0)!), distance(photos.get(7)!, renders.get(0)!)];
      const at7 = [distance(photos.get(7)!, renders.get(7)!), distance(photos.get(0)!, renders.get(7)!)];
      console.log(
        `[viewer] photo vs rendering (mean abs difference of 8x6 thumbnails): camera 0 ${at0[0]!.toFixed(1)} (other photo ${at0[1]!.toFixed(1)}), camera 7 ${at7[0]!.toFixed(1)} (other ${at7[1]!.toFixed(1)})`,
      );
      expect(at0[0]).toBeLessThan(at0[1]!);
      expect(at7[0]).toBeLessThan(at7[1]!);

      // Orbit away: no training camera, no photo.
      const box = (await p.getByTestId('view').boundingBox())!;
      await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await p.mouse.down();
      await p.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2, { steps: 6 });
      await p.mouse.up();
      await p.waitForFunction(() => document.querySelector<HTMLCanvasElement>('[data-testid="view"]')?.dataset.frame === '-1', undefined, {
        timeout: 120_000,
      });
      expect(await photo.isVisible()).toBe(false);
    } finally {
      await p.getByTestId('show-photo').uncheck(); // the tests after this one measure the canvas's pixels
    }
  });

  it('inspects a clicked object, and the similar view highlights that object', { timeout: 300_000 }, async () => {
    const { page: p } = page();
    await p.getByTestId('train-toggle').click(); // pause: the field holds still for the screenshots
    await p.getByTestId('show-cameras').uncheck(); // clicks go to the pixels, not to other cameras' frustums
    // Ground truth exists at the training cameras: look through a few of them for the largest
    // large object (bed, sofa, table: what a field this young already draws) and click it there.
    await selectMode(p, 'Ground truth', 'ground-truth');
    const frames = (await p.evaluate(() => window.neurncd.scan()?.frames)) ?? 0;
    expect(frames).toBeGreaterThan(0);
    const areaOf = (mask: Uint8Array) => mask.reduce((a, v) => a + v, 0);
    let best: { camera: number; id: number; area: number; mask: Uint8Array; gt: Awaited<ReturnType<typeof canvasPixels>> } | null = null;
    for (let camera = 0; camera < frames; camera += 4) {
      await goToCamera(p, camera);
      const gt = await canvasPixels(p);
      for (const id of [1, 9, 10]) {
        const colour = knownColour(id, true);
        const mask = Uint8Array.from({ length: gt.width * gt.height }, (_, i) =>
          colour.every((c, j) => Math.abs(gt.data[i * 4 + j]! - c) <= 3) ? 1 : 0,
        );
        const area = areaOf(mask);
        if (!best || area > best.area) best = { camera, id, area, mask, gt };
      }
    }
    const { gt, area } = best!;
    expect(area).toBeGreaterThan(0.02 * gt.width * gt.height);
    await goToCamera(p, best!.camera);
    // A pixel deep inside it (the field is rendered at a fraction of the canvas's resolution, and
    // its edges are soft): the centre of the largest square of object pixels.
    const target = deepestPixel(best!.mask, gt.width, gt.height);
    await selectMode(p, 'RGB', 'rgb');
    const box = (await p.getByTestId('view').boundingBox())!;
    const tx = target % gt.width;
    const ty = Math.floor(target / gt.width);
    await p.mouse.click(box.x + ((tx + 0.5) * box.width) / gt.width, box.y + ((ty + 0.5) * box.height) / gt.height);
    const inspector = p.getByTestId('inspector');
    await inspector.getByTestId('inspector-prob').first().waitFor();
    const probs = await inspector
      .getByTestId('inspector-prob')
      .evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.value)));
    expect(probs.length).toBe(5);
    for (const v of probs) expect(Number.isFinite(v) && v >= 0 && v <= 1).toBe(true);
    const entropy = Number(await inspector.getByTestId('inspector-entropy').getAttribute('data-value'));
    expect(Number.isFinite(entropy)).toBe(true);
    // With the legend filled by discovery, the inspector's class and likeliest classes are on
    // screen at the top of the page (earlier clicks in the settings may have scrolled it).
    await p.evaluate(() => window.scrollTo(0, 0));
    for (const row of [inspector.getByTestId('inspector-cluster'), inspector.getByTestId('inspector-prob').last()]) {
      const b = (await row.boundingBox())!;
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.y + b.height).toBeLessThanOrEqual(900);
    }
    const embedding = await inspector
      .getByTestId('inspector-embedding-value')
      .evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.value)));
    expect(embedding.length).toBe(9);
    for (const v of embedding) expect(Number.isFinite(v)).toBe(true);
    // The default segmenter has feature statistics: the segment's distance to the pixel's likeliest class.
    const look = inspector.getByTestId('inspector-appearance');
    const spreads = Number(await look.getAttribute('data-value'));
    expect(Number.isFinite(spreads) && spreads > 0).toBe(true);
    expect(await look.getAttribute('data-name')).toBe(await inspector.getByTestId('inspector-prob').first().getAttribute('data-name'));

    const before = await shownCount(p);
    await p.getByTestId('inspector-similar').click();
    let heat: Awaited<ReturnType<typeof canvasPixels>>;
    try {
      await waitForImage(p, 'similar', before);
      heat = await canvasPixels(p);
    } finally {
      await p.getByTestId('inspector-similar').click(); // back to the modes, for the next tests
    }
    expect(heat.width).toBe(gt.width);
    let inside = 0;
    let outside = 0;
    for (let i = 0; i < gt.width * gt.height; i++) {
      if (best!.mask[i]) inside += luminance(heat.data, i);
      else outside += luminance(heat.data, i);
    }
    inside /= area;
    outside /= gt.width * gt.height - area;
    console.log(
      `[viewer] similar view: mean luminance ${inside.toFixed(1)} on the clicked object (class ${best!.id}, camera ${best!.camera}), ${outside.toFixed(1)} elsewhere`,
    );
    expect(inside).toBeGreaterThan(outside + 20);
  });

  it('draws every view mode, each non-blank and different from the others', { timeout: 300_000 }, async () => {
    const { page: p } = page();
    const shots: { id: string; data: Uint8Array }[] = [];
    for (const mode of VIEW_MODES) {
      await selectMode(p, mode.label, mode.id);
      const img = await canvasPixels(p);
      let min = 255;
      let max = 0;
      for (let i = 0; i < img.width * img.height; i++) {
        const l = luminance(img.data, i);
        min = Math.min(min, l);
        max = Math.max(max, l);
      }
      expect(max - min, `${mode.id} is blank`).toBeGreaterThan(20);
      shots.push({ id: mode.id, data: img.data });
    }
    for (let a = 0; a < shots.length; a++) {
      for (let b = a + 1; b < shots.length; b++) {
        let diff = 0;
        for (let i = 0; i < shots[a]!.data.length; i += 4)
          diff += Math.abs(shots[a]!.data[i]! - shots[b]!.data[i]!) + Math.abs(shots[a]!.data[i + 1]! - shots[b]!.data[i + 1]!);
        expect(diff / (shots[a]!.data.length / 4), `${shots[a]!.id} vs ${shots[b]!.id}`).toBeGreaterThan(2);
      }
    }
    await selectMode(p, 'RGB', 'rgb');
  });

  it('exports label maps, metrics, a labelled point cloud and a checkpoint, and resumes from it', { timeout: 600_000 }, async () => {
    const { page: p } = page();
    await p.getByTestId('export-folder').click(); // the folder starts closed
    const save = async (button: string): Promise<Uint8Array> => {
      const [download] = await Promise.all([
        p.waitForEvent('download', { timeout: 300_000 }),
        p.getByRole('button', { name: button, exact: true }).click(),
      ]);
      const path = await download.path();
      return new Uint8Array(readFileSync(path));
    };
    const zip = unzipSync(await save('Label maps (.zip)'));
    const frames = (await p.evaluate(() => window.neurncd.scan()?.frames)) ?? 0;
    const pngs = Object.keys(zip).filter((n) => n.startsWith('labels/') && n.endsWith('.png'));
    expect(pngs.length).toBe(frames);
    const legend = JSON.parse(new TextDecoder().decode(zip['labels/legend.json']!));
    const legendNames = Object.values(legend.classes as Record<string, { name: string }>).map((c) => c.name);
    const shown = await p
      .locator('[data-testid="legend-item"]')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.className));
    expect(legendNames.sort()).toEqual([...shown].sort());
    const label = decode(zip[pngs[0]!]!);
    expect(label.depth).toBe(16);
    const values = new Set(Array.from(label.data as Uint16Array));
    for (const v of values) expect(Object.keys(legend.classes)).toContain(String(v));
    const metrics = JSON.parse(new TextDecoder().decode(zip['metrics.json']!));
    expect(metrics.frames).toBe(frames);
    expect(metrics.miou).toBeGreaterThan(0);
    expect(metrics.per_class).toHaveProperty('wall');

    const ply = await save('Point cloud (.ply)');
    const header = new TextDecoder().decode(ply.subarray(0, 2000)).split('end_header')[0]!;
    const vertices = Number(/element vertex (\d+)/.exec(header)![1]);
    expect(vertices).toBeGreaterThan(1000);
    expect(header).toMatch(/property ushort class/);
    expect(header).toMatch(/comment class \d+ novel-\d+ \(novel\)/);

    const checkpoint = await save('Checkpoint');
    expect(new TextDecoder().decode(checkpoint.subarray(0, 8))).toBe('NCDCKPT2');
    const dir = mkdtempSync(join(tmpdir(), 'neurncd-ckpt-'));
    writeFileSync(join(dir, 'field.ncdckpt'), checkpoint);
    writeFileSync(join(dir, 'not-a-checkpoint.ncdckpt'), 'hello');
    const resume = async (file: string): Promise<string> => {
      const [chooser] = await Promise.all([
        p.waitForEvent('filechooser'),
        p.getByRole('button', { name: 'Resume from checkpoint…' }).click(),
      ]);
      await chooser.setFiles(join(dir, file));
      await p.waitForFunction((f) => (document.querySelector('[data-testid="status"]')?.textContent ?? '').includes(f), file, {
        timeout: 60_000,
      });
      return (await p.getByTestId('status').textContent()) ?? '';
    };
    expect(await resume('not-a-checkpoint.ncdckpt')).toMatch(/Could not resume from not-a-checkpoint\.ncdckpt: /);
    expect(await resume('field.ncdckpt')).toMatch(/Resumed from field\.ncdckpt at step \d+/);
  });

  it('loads a dropped scan of another format (transforms.json) and restarts on it', { timeout: 600_000 }, async () => {
    const { page: p } = page();
    const dir = writeFiles(toNerfstudio(makeFixture(6, 96, 72, 17)));
    await p.getByTestId('dropzone').scrollIntoViewIfNeeded();
    const box = (await p.getByTestId('dropzone').boundingBox())!;
    const cdp = await p.context().newCDPSession(p);
    const data = { items: [], files: [dir], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const)
      await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + box.height / 2, data });
    await cdp.detach();
    await p.getByTestId('train-toggle').click(); // training on again
    await p.waitForFunction(() => window.neurncd.scan()?.format === 'nerfstudio', undefined, { timeout: 120_000 });
    const name = await p.evaluate(() => window.neurncd.scan()!.name);
    try {
      await p.waitForFunction((n) => document.querySelector<HTMLCanvasElement>('[data-testid="view"]')?.dataset.scan === n, name, {
        timeout: 300_000,
      });
    } catch (e) {
      throw new Error(`the view never showed ${name}; status: ${await p.getByTestId('status').textContent()}`, { cause: e });
    }
    expect(await p.locator('[data-testid="legend-item"]').count()).toBe(0);
    await p.waitForFunction(() => /Training: step/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, {
      timeout: 120_000,
    });
    const img = await canvasPixels(p);
    let max = 0;
    for (let i = 0; i < img.width * img.height; i++) max = Math.max(max, luminance(img.data, i));
    expect(max).toBeGreaterThan(20);
  });

  it('segments the scan again and trains from the start when a model is picked in the segmenter folder', { timeout: 300_000 }, async () => {
    const { page: p } = page();
    const trainingStep = () =>
      p.evaluate(() =>
        Number(/Training: step (\d+)/.exec(document.querySelector('[data-testid="status"]')?.textContent ?? '')?.[1] ?? Number.NaN),
      );
    await p.waitForFunction(
      () => Number(/Training: step (\d+)/.exec(document.querySelector('[data-testid="status"]')?.textContent ?? '')?.[1] ?? 0) >= 40,
      undefined,
      { timeout: 120_000 },
    );
    const before = await trainingStep();
    const scan = await p.evaluate(() => window.neurncd.scan()!.name);
    await p.getByTestId('model-select').selectOption('neurncd-synth-seg');
    await p.getByTestId('model-use').click();
    await expect
      .poll(() => p.getByTestId('model-status').textContent(), { timeout: 60_000 })
      .toMatch(/^Using neurncd-synth-seg: 9 classes/);
    await p.waitForFunction(
      (b) => {
        const m = /Training: step (\d+)/.exec(document.querySelector('[data-testid="status"]')?.textContent ?? '');
        return m !== null && Number(m[1]) < b;
      },
      before,
      { timeout: 120_000 },
    );
    expect(await p.evaluate(() => window.neurncd.scan()!.name)).toBe(scan);
  });
});
