/**
 * The viewer as a person uses it: the page opens on the demo room and trains by itself; novel
 * classes appear in the legend; clicking an object shows its embedding in the inspector and the
 * "similar" view lights up that object; every view mode draws something of its own; the page
 * answers clicks while it trains; a dropped scan of another format replaces the demo.
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
async function waitForImage(page: Page, mode: string, after: number, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    ([m, n]) => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="view"]');
      return c?.dataset.mode === m && Number(c.dataset.shown ?? 0) > Number(n);
    },
    [mode, after] as const,
    { timeout },
  );
  // three.js draws on the next animation frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function selectMode(page: Page, label: string, id: string): Promise<void> {
  const before = await shownCount(page);
  await page.getByTestId('view-mode').selectOption({ label });
  await waitForImage(page, id, before);
}

const luminance = (d: Uint8Array, p: number): number => 0.2126 * d[p * 4]! + 0.7152 * d[p * 4 + 1]! + 0.0722 * d[p * 4 + 2]!;

describe('the viewer', () => {
  const page = usePage('', { live: true });

  it('trains the demo by itself until a novel class is in the legend', async () => {
    const { page: p, errors } = page();
    await p.waitForSelector('[data-testid="legend-item"][data-novel="true"]', { timeout: 900_000 });
    await p.waitForFunction(() => /Training: step .*Discovery: update/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
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

  it('inspects a clicked object, and the similar view highlights that object', { timeout: 300_000 }, async () => {
    const { page: p } = page();
    await p.getByTestId('train-toggle').click(); // pause: the field holds still for the screenshots
    await p.getByTestId('show-cameras').uncheck(); // clicks go to the pixels, not to other cameras' frustums
    // The view starts at the first training camera, where the ground truth is known: find the
    // largest object there (bed, sofa, table, chair) from the ground-truth view.
    await selectMode(p, 'Ground truth', 'ground-truth');
    const gt = await canvasPixels(p);
    const objects = [1, 9, 10, 4].map((id) => ({ id, colour: knownColour(id, true) }));
    const maskOf = (colour: number[]) => Uint8Array.from({ length: gt.width * gt.height }, (_, i) => (colour.every((c, j) => Math.abs(gt.data[i * 4 + j]! - c) <= 3) ? 1 : 0));
    const masks = objects.map((o) => ({ ...o, mask: maskOf(o.colour) }));
    const best = masks.reduce((a, b) => (b.mask.reduce((s, v) => s + v, 0) > a.mask.reduce((s, v) => s + v, 0) ? b : a));
    const area = best.mask.reduce((s, v) => s + v, 0);
    expect(area).toBeGreaterThan(0.005 * gt.width * gt.height);
    // A pixel deep inside it: the one with the most object pixels in a 9x9 window.
    let target = 0;
    let bestCount = -1;
    for (let y = 4; y < gt.height - 4; y += 2) {
      for (let x = 4; x < gt.width - 4; x += 2) {
        let n = 0;
        for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) n += best.mask[(y + dy) * gt.width + x + dx]!;
        if (n > bestCount) [bestCount, target] = [n, y * gt.width + x];
      }
    }
    await selectMode(p, 'RGB', 'rgb');
    const box = (await p.getByTestId('view').boundingBox())!;
    const tx = target % gt.width;
    const ty = Math.floor(target / gt.width);
    await p.mouse.click(box.x + ((tx + 0.5) * box.width) / gt.width, box.y + ((ty + 0.5) * box.height) / gt.height);
    const inspector = p.getByTestId('inspector');
    await inspector.getByTestId('inspector-prob').first().waitFor();
    const probs = await inspector.getByTestId('inspector-prob').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.value)));
    expect(probs.length).toBe(5);
    for (const v of probs) expect(Number.isFinite(v) && v >= 0 && v <= 1).toBe(true);
    const entropy = Number(await inspector.getByTestId('inspector-entropy').getAttribute('data-value'));
    expect(Number.isFinite(entropy)).toBe(true);
    const embedding = await inspector.getByTestId('inspector-embedding-value').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.value)));
    expect(embedding.length).toBe(9);
    for (const v of embedding) expect(Number.isFinite(v)).toBe(true);

    const before = await shownCount(p);
    await p.getByTestId('inspector-similar').click();
    await waitForImage(p, 'similar', before);
    const heat = await canvasPixels(p);
    expect(heat.width).toBe(gt.width);
    let inside = 0;
    let outside = 0;
    for (let i = 0; i < gt.width * gt.height; i++) {
      if (best.mask[i]) inside += luminance(heat.data, i);
      else outside += luminance(heat.data, i);
    }
    inside /= area;
    outside /= gt.width * gt.height - area;
    console.log(`[viewer] similar view: mean luminance ${inside.toFixed(1)} on the clicked object (class ${best.id}), ${outside.toFixed(1)} elsewhere`);
    expect(inside).toBeGreaterThan(outside + 20);
    await p.getByTestId('inspector-similar').click();
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
        for (let i = 0; i < shots[a]!.data.length; i += 4) diff += Math.abs(shots[a]!.data[i]! - shots[b]!.data[i]!) + Math.abs(shots[a]!.data[i + 1]! - shots[b]!.data[i + 1]!);
        expect(diff / (shots[a]!.data.length / 4), `${shots[a]!.id} vs ${shots[b]!.id}`).toBeGreaterThan(2);
      }
    }
    await selectMode(p, 'RGB', 'rgb');
  });

  it('exports label maps, metrics, a labelled point cloud and a checkpoint, and resumes from it', { timeout: 600_000 }, async () => {
    const { page: p } = page();
    await p.getByTestId('export-folder').click(); // the folder starts closed
    const save = async (button: string): Promise<Uint8Array> => {
      const [download] = await Promise.all([p.waitForEvent('download', { timeout: 300_000 }), p.getByRole('button', { name: button }).click()]);
      const path = await download.path();
      return new Uint8Array(readFileSync(path));
    };
    const zip = unzipSync(await save('Label maps (.zip)'));
    const frames = (await p.evaluate(() => window.neurncd.scan()?.frames)) ?? 0;
    const pngs = Object.keys(zip).filter((n) => n.startsWith('labels/') && n.endsWith('.png'));
    expect(pngs.length).toBe(frames);
    const legend = JSON.parse(new TextDecoder().decode(zip['labels/legend.json']!));
    const legendNames = Object.values(legend.classes as Record<string, { name: string }>).map((c) => c.name);
    const shown = await p.locator('[data-testid="legend-item"]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.className));
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
    expect(new TextDecoder().decode(checkpoint.subarray(0, 8))).toBe('NCDCKPT1');
    const dir = mkdtempSync(join(tmpdir(), 'neurncd-ckpt-'));
    writeFileSync(join(dir, 'field.ncdckpt'), checkpoint);
    writeFileSync(join(dir, 'not-a-checkpoint.ncdckpt'), 'hello');
    const resume = async (file: string): Promise<string> => {
      const [chooser] = await Promise.all([p.waitForEvent('filechooser'), p.getByRole('button', { name: 'Resume from checkpoint…' }).click()]);
      await chooser.setFiles(join(dir, file));
      await p.waitForFunction((f) => (document.querySelector('[data-testid="status"]')?.textContent ?? '').includes(f), file, { timeout: 60_000 });
      return (await p.getByTestId('status').textContent()) ?? '';
    };
    expect(await resume('not-a-checkpoint.ncdckpt')).toMatch(/Could not resume from not-a-checkpoint\.ncdckpt: /);
    expect(await resume('field.ncdckpt')).toMatch(/Resumed from field\.ncdckpt at step \d+/);
  });

  it('loads a dropped scan of another format (transforms.json) and restarts on it', { timeout: 600_000 }, async () => {
    const { page: p } = page();
    const dir = writeFiles(toNerfstudio(makeFixture(6, 96, 72, 17)));
    const box = (await p.getByTestId('dropzone').boundingBox())!;
    const cdp = await p.context().newCDPSession(p);
    const data = { items: [], files: [dir], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + box.height / 2, data });
    await cdp.detach();
    await p.getByTestId('train-toggle').click(); // training on again
    await p.waitForFunction(() => window.neurncd.scan()?.format === 'nerfstudio', undefined, { timeout: 120_000 });
    const name = await p.evaluate(() => window.neurncd.scan()!.name);
    try {
      await p.waitForFunction((n) => document.querySelector<HTMLCanvasElement>('[data-testid="view"]')?.dataset.scan === n, name, { timeout: 300_000 });
    } catch (e) {
      throw new Error(`the view never showed ${name}; status: ${await p.getByTestId('status').textContent()}`, { cause: e });
    }
    expect(await p.locator('[data-testid="legend-item"]').count()).toBe(0);
    await p.waitForFunction(() => /Training: step/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const img = await canvasPixels(p);
    let max = 0;
    for (let i = 0; i < img.width * img.height; i++) max = Math.max(max, luminance(img.data, i));
    expect(max).toBeGreaterThan(20);
  });
});
