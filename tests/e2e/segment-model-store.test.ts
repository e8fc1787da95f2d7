/**
 * Models on demand: a model-list entry (URL + manifest with sha256 and size) is downloaded with
 * progress, checked, cached in Cache Storage once it loads, and loaded from the cache with its
 * server stopped. A wrong sha256, a truncated file and a non-ONNX file each give an error naming
 * the file, are not cached, and the model already loaded stays usable. The model is DeepLabV3
 * (../shared, never copied into the repository) served by a second local server.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEEPLAB_V3_PASCAL_MANIFEST } from '../../src/segment/model-catalog.ts';
import { startStaticServer, type StaticServer } from '../../src/cli/static-server.ts';
import { usePage } from '../helpers/browser-page.ts';
import { hasShared, sharedPath } from '../helpers/shared-material.ts';

const MODEL_FILE = 'models/deeplabv3-mnv2-pascal/model.onnx';
const MODEL = sharedPath(MODEL_FILE);
const HAS_MODEL = hasShared(MODEL_FILE);
const model = HAS_MODEL ? readFileSync(MODEL) : new Uint8Array(0);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const png = encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3), channels: 3 });
const manifest = (file: string, bytes: Uint8Array, change: Record<string, unknown> = {}) => ({
  ...DEEPLAB_V3_PASCAL_MANIFEST,
  name: 'DeepLabV3 MobileNetV2 PASCAL VOC',
  file,
  sha256: sha(bytes),
  sizeBytes: bytes.byteLength,
  ...change,
});
// A 16 x 12 grey-to-colour test image, RGBA, base64.
const image = (() => {
  const rgba = new Uint8Array(16 * 12 * 4);
  for (let p = 0; p < 16 * 12; p++) rgba.set([(p * 7) % 256, (p * 3) % 256, 128, 255], p * 4);
  return { width: 16, height: 12, rgba: Buffer.from(rgba).toString('base64') };
})();

describe.skipIf(!HAS_MODEL)('segmenter models on demand (download, sha256, Cache Storage)', () => {
  const page = usePage();
  let server: StaticServer;
  let dir: string;
  let models: string;
  const served: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neurncd-models-'));
    copyFileSync(MODEL, join(dir, 'model.onnx'));
    copyFileSync(MODEL, join(dir, 'model-copy.onnx'));
    writeFileSync(join(dir, 'truncated.onnx'), model.subarray(0, 1_000_000));
    writeFileSync(join(dir, 'picture.onnx'), png);
    server = await startStaticServer({ mounts: { '/': dir }, onRequest: (path, status) => served.push(`${status} ${path}`) });
    // The page's Content-Security-Policy allows its own origin only: the model server is mounted
    // under it, each request passed on to the second server (aborted once that server is down).
    models = `${page().baseUrl}models-under-test/`;
    await page().page.route(`${models}**`, async (route) => {
      try {
        const response = await route.fetch({ url: server.url + route.request().url().slice(models.length) });
        await route.fulfill({ response });
      } catch {
        await route.abort('connectionrefused');
      }
    });
  });

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const loadEntry = (url: string, m: unknown) =>
    page().page.evaluate((entry) => window.neurncd.segment.loadEntry(entry), { url, manifest: m });
  const tryEntry = (url: string, m: unknown) =>
    page().page.evaluate(
      (entry) =>
        window.neurncd.segment.loadEntry(entry).then(
          () => 'loaded',
          (e: Error) => e.message,
        ),
      { url, manifest: m },
    );
  const stillUsable = async (): Promise<void> => {
    expect((await page().page.evaluate(() => window.neurncd.segment.info()))?.name).toBe('DeepLabV3 MobileNetV2 PASCAL VOC');
    const r = await page().page.evaluate((img) => window.neurncd.segment.segmentImage(img), image);
    expect([r.classes, r.height, r.width]).toEqual([21, 12, 16]);
  };

  it('downloads an entry with progress, checks it, caches it and loads it', async () => {
    const info = await loadEntry(`${models}model.onnx`, manifest('model.onnx', model));
    expect(info).toMatchObject({ name: 'DeepLabV3 MobileNetV2 PASCAL VOC', fromCache: false, provider: 'wasm' });
    expect(info.downloadProgress.length).toBeGreaterThan(0);
    expect(info.downloadProgress.at(-1)).toBe(model.byteLength);
    expect(await page().page.evaluate(() => window.neurncd.segment.cachedModels())).toEqual([`${models}model.onnx`]);
    await stillUsable();
  });

  it('refuses a wrong sha256, a truncated file and a non-ONNX file, caches none, keeps the loaded model', async () => {
    const zeros = '0'.repeat(64);
    expect(await tryEntry(`${models}model-copy.onnx`, manifest('model-copy.onnx', model, { sha256: zeros }))).toBe(
      `model-copy.onnx: SHA-256 is ${sha(model)}, but ${zeros} was expected (corrupt or a different file)`,
    );
    expect(await tryEntry(`${models}truncated.onnx`, manifest('truncated.onnx', model))).toBe(
      `truncated.onnx: is 1000000 bytes, but ${model.byteLength} were expected (truncated or a different file)`,
    );
    // The right size and sha256 for the file served, but it is a PNG.
    expect(await tryEntry(`${models}picture.onnx`, manifest('picture.onnx', png))).toMatch(
      /^picture\.onnx: onnxruntime cannot load this file as an ONNX model \(.*protobuf parsing failed/,
    );
    expect(await page().page.evaluate(() => window.neurncd.segment.cachedModels())).toEqual([`${models}model.onnx`]);
    expect(served).toEqual(expect.arrayContaining(['200 /model-copy.onnx', '200 /truncated.onnx', '200 /picture.onnx']));
    await stillUsable();
  });

  it('loads the cached model with its server stopped', async () => {
    await server.close();
    const before = served.length;
    // Not cached: needs the server, which is gone.
    expect(await tryEntry(`${models}model-copy.onnx`, manifest('model-copy.onnx', model))).toMatch(
      /^model-copy\.onnx: could not be fetched from /,
    );
    const info = await loadEntry(`${models}model.onnx`, manifest('model.onnx', model));
    expect(info).toMatchObject({ fromCache: true, downloadProgress: [] });
    expect(served.length).toBe(before);
    await stillUsable();
    expect(page().foreignRequests()).toEqual([]);
  });
});
