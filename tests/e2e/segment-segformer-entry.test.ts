/**
 * The ADE20K entry of the model list (SegFormer-B0). Its 15 MB file cannot be fetched on a machine
 * without internet, so this checks what can be checked here:
 *  - the entry's own manifest (150 ADE20K classes, input 'pixel_values', output 'logits') against a
 *    model with the signature of SegFormer's ONNX export (symbolic dimensions, logits at a quarter
 *    of the input resolution), built by tools/segmenter/make-segformer-stand-in.py, whose logits
 *    are a known function of colour: the argmax, resized back to the image, is checked per region;
 *  - the panel lists the entry with its non-commercial licence, and picking it with the network
 *    gone gives an error naming the file and the URL, the model in use staying loaded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SEGFORMER_B0_ADE20K } from '../../src/segment/model-catalog.ts';
import { usePage } from '../helpers/browser-page.ts';

const STAND_IN = readFileSync(new URL('../fixtures/segformer-b0-signature.onnx', import.meta.url));
const entry = SEGFORMER_B0_ADE20K.source.kind === 'download' ? SEGFORMER_B0_ADE20K.source.entry : null;
const manifest = entry!.manifest as Record<string, unknown>;

// 96 x 48: red, green and blue thirds.
const W = 96;
const H = 48;
const image = (() => {
  const rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const third = Math.floor((x * 3) / W);
      rgba.set([third === 0 ? 255 : 0, third === 1 ? 255 : 0, third === 2 ? 255 : 0, 255], (y * W + x) * 4);
    }
  }
  return { width: W, height: H, rgba: Buffer.from(rgba).toString('base64') };
})();

describe('model list: SegFormer-B0 ADE20K entry', () => {
  const tp = usePage();

  it('its manifest fits a model with SegFormer-B0 export signature; quarter-resolution logits come back at image size', async () => {
    const url = `${tp().baseUrl}stand-in/segformer.onnx`;
    await tp().page.route(url, (route: Route) =>
      route.fulfill({ status: 200, body: STAND_IN, headers: { 'content-type': 'application/octet-stream' } }),
    );
    const standIn = {
      ...manifest,
      name: 'SegFormer-B0 signature stand-in',
      sha256: createHash('sha256').update(STAND_IN).digest('hex'),
      sizeBytes: STAND_IN.byteLength,
    };
    const info = await tp().page.evaluate((e) => window.neurncd.segment.loadEntry(e), { url, manifest: standIn });
    expect(info.name).toBe('SegFormer-B0 signature stand-in');
    const r = await tp().page.evaluate((img) => window.neurncd.segment.segmentImage(img, { debug: true }), image);
    expect([r.classes, r.width, r.height]).toEqual([150, W, H]);
    // The model ran at 512 x 512 and answered at 128 x 128, as SegFormer does.
    expect(r.debug!.inputDims).toEqual([1, 3, 512, 512]);
    expect(r.debug!.outputDims).toEqual([1, 150, 128, 128]);
    const argmax = new Uint16Array(Buffer.from(r.argmax, 'base64').buffer.slice(0));
    const names = (manifest.classes as { name: string }[]).map((c) => c.name);
    const at = (x: number, y: number): string => names[argmax[y * W + x]!]!;
    expect([at(16, 24), at(48, 24), at(80, 24)]).toEqual(['wall', 'chair', 'television receiver']);
    // Away from the two colour edges every pixel takes its region's class.
    let wrong = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (Math.abs(x - W / 3) < 3 || Math.abs(x - (2 * W) / 3) < 3) continue;
        const want = ['wall', 'chair', 'television receiver'][Math.floor((x * 3) / W)];
        if (at(x, y) !== want) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });

  it('is listed with its licence; offline, picking it names the file and URL and keeps the model in use', async () => {
    const testid = (id: string) => tp().page.getByTestId(id);
    await tp().page.route(entry!.url, (route: Route) => route.abort('internetdisconnected'));
    await testid('model-select').selectOption('neurncd-synth-seg');
    await testid('model-use').click();
    await expect.poll(() => testid('model-status').textContent(), { timeout: 60_000 }).toMatch(/^Using neurncd-synth-seg/);

    await testid('model-select').selectOption('segformer-b0-ade20k');
    expect(await testid('model-description').textContent()).toMatch(/non-commercial/);
    await testid('model-use').click();
    await expect
      .poll(() => testid('model-error').textContent(), { timeout: 60_000 })
      .toContain(`model.onnx: could not be fetched from ${entry!.url}`);
    expect(await testid('model-status').textContent()).toBe('Still using neurncd-synth-seg.');
  });
});
