/**
 * The segmenter panel with the app's real model list: DeepLabV3's entry (its published URL, size
 * and sha256) is downloaded through the panel, with the file served by a local HTTP server in place
 * of GitHub (no internet here): a truncated download is refused with the file named, the good one
 * is checked, cached and used, and after a reload it loads from the browser's cache with the
 * server gone. A model picked from disk loads too, and a bad one keeps the model in use. The page
 * fetches nothing but its own files and the one model file the user chose.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/cli/static-server.ts';
import { DEEPLAB_V3_PASCAL } from '../../src/segment/model-catalog.ts';
import { usePage } from '../helpers/browser-page.ts';
import { hasShared, sharedPath } from '../helpers/shared-material.ts';

const MODEL_FILE = 'models/deeplabv3-mnv2-pascal/model.onnx';
const MODEL = sharedPath(MODEL_FILE);
const HAS_MODEL = hasShared(MODEL_FILE);
const entry = DEEPLAB_V3_PASCAL.source.kind === 'download' ? DEEPLAB_V3_PASCAL.source.entry : null;

describe.skipIf(!HAS_MODEL)('segmenter panel: the model list, downloads and models from disk', () => {
  const tp = usePage();
  let server: StaticServer;
  let dir: string;
  let serve: 'model' | 'truncated' | 'offline' = 'truncated';
  const modelRequests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neurncd-panel-'));
    copyFileSync(MODEL, join(dir, 'model.onnx'));
    writeFileSync(join(dir, 'truncated.onnx'), readFileSync(MODEL).subarray(0, 1_000_000));
    server = await startStaticServer({ mounts: { '/': dir } });
    // The entry's real URL, answered from the local server (CORS as GitHub's raw host sends it).
    await tp().page.route(entry!.url, async (route: Route) => {
      modelRequests.push(serve);
      if (serve === 'offline') return route.abort('internetdisconnected');
      const response = await route.fetch({ url: `${server.url}${serve === 'model' ? 'model.onnx' : 'truncated.onnx'}` });
      await route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
    });
  });

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const testid = (id: string) => tp().page.getByTestId(id);
  const useModel = async (id: string): Promise<void> => {
    await testid('model-select').selectOption(id);
    await testid('model-use').click();
    await expect.poll(() => testid('model-use').isEnabled(), { timeout: 60_000 }).toBe(true);
  };

  it('lists the project model, the two DeepLabV3 and SegFormer-B0 ADE20K with what they are', async () => {
    const options = await testid('model-select').locator('option').allTextContents();
    expect(options).toEqual([
      expect.stringMatching(/^NeurNCD synthetic rooms/),
      expect.stringMatching(/^DeepLabV3 MobileNetV2, ADE20K \(150 classes, ships with the page\)/),
      expect.stringMatching(/^DeepLabV3 MobileNetV2, PASCAL VOC/),
      expect.stringMatching(/^SegFormer-B0, ADE20K/),
    ]);
    await testid('model-select').selectOption('deeplabv3-mnv2-pascal');
    expect(await testid('model-description').textContent()).toMatch(/Apache-2\.0/);
  });

  it('uses the project model that ships with the page, without any download', async () => {
    const before = tp().foreignRequests().length;
    await useModel('neurncd-synth-seg');
    expect(await testid('model-status').textContent()).toMatch(/^Using neurncd-synth-seg: 9 classes \(9 known\), wasm execution provider/);
    expect(tp().foreignRequests().length).toBe(before);
    // The progress bar shows only while a model downloads or loads.
    expect(await testid('model-progress').isHidden()).toBe(true);
  });

  it('uses the real ADE20K model that ships with the page, without any download; its catch-all is not known', async () => {
    const before = tp().foreignRequests().length;
    await useModel('deeplabv3-mnv2-ade20k');
    expect(await testid('model-status').textContent()).toMatch(
      /^Using deeplabv3-mnv2-ade20k: 151 classes \(150 known\), wasm execution provider/,
    );
    expect(tp().foreignRequests().length).toBe(before);
    await useModel('neurncd-synth-seg');
  });

  it('refuses a truncated download, naming the file, and keeps the model in use', async () => {
    serve = 'truncated';
    await useModel('deeplabv3-mnv2-pascal');
    expect(await testid('model-error').textContent()).toBe(
      'deeplab_v3_1_default_1.onnx: is 1000000 bytes, but 2781296 were expected (truncated or a different file)',
    );
    expect(await testid('model-status').textContent()).toBe('Still using neurncd-synth-seg.');
  });

  it('downloads, checks, caches and uses the model, on the wasm provider of the software adapter', async () => {
    serve = 'model';
    await useModel('deeplabv3-mnv2-pascal');
    expect(await testid('model-error').isHidden()).toBe(true);
    expect(await testid('model-status').textContent()).toMatch(
      /^Using DeepLabV3 MobileNetV2 \(PASCAL VOC\) \(downloaded, checked and cached\): 21 classes \(20 known\), wasm execution provider \(.+\)\.$/,
    );
    expect(await tp().page.evaluate(() => window.neurncd.segment.cachedModels())).toEqual([entry!.url]);
    expect((await tp().page.evaluate(() => window.neurncd.segment.info()))?.name).toBe('DeepLabV3 MobileNetV2 (PASCAL VOC)');
  });

  it('after a reload, loads from the cache with the network gone', async () => {
    serve = 'offline';
    const before = modelRequests.length;
    await tp().page.reload();
    await tp().page.evaluate(() => window.neurncd.ready);
    await useModel('deeplabv3-mnv2-pascal');
    expect(await testid('model-status').textContent()).toMatch(/^Using DeepLabV3 MobileNetV2 \(PASCAL VOC\) \(from this browser's cache\)/);
    expect(modelRequests.length).toBe(before);
  });

  it('loads a model from disk with its manifest, and a bad file keeps the model in use', async () => {
    const manifest = { ...(entry!.manifest as Record<string, unknown>), name: 'DeepLab from disk', file: 'model.onnx' };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await testid('model-file').setInputFiles([join(dir, 'model.onnx'), join(dir, 'manifest.json')]);
    await expect.poll(() => testid('model-status').textContent(), { timeout: 60_000 }).toMatch(/^Using DeepLab from disk: 21 classes/);
    writeFileSync(join(dir, 'notes.onnx'), '<img src=x onerror=alert(1)> not a model');
    await testid('model-file').setInputFiles([join(dir, 'notes.onnx')]);
    await expect.poll(() => testid('model-error').textContent(), { timeout: 60_000 }).toMatch(/^notes\.onnx: /);
    expect(await testid('model-status').textContent()).toBe('Still using DeepLab from disk.');
    // File names and contents stay text.
    expect(await tp().page.locator('img').count()).toBe(0);
  });

  it('fetched nothing but its own files and the model the user chose', () => {
    expect(
      tp()
        .foreignRequests()
        .filter((u) => u !== entry!.url),
    ).toEqual([]);
  });
});
