/**
 * The static server that serves the page, and a scan folder to the headless page: only files whose
 * real path is inside the folder served (a symbolic link out of a scan folder serves nothing),
 * only to requests addressed to localhost (DNS rebinding), and with the page's
 * Content-Security-Policy and the other security headers on every answer.
 */
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createViteServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/cli/static-server.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(server: StaticServer, path: string, host = `localhost:${server.port}`): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end();
  });
}

const SECRET = 'a file outside the scan folder: must never be served';

describe('the static server', () => {
  const page = '<!doctype html><title>the page</title>';
  let server: StaticServer;
  let outsideFile: string;

  beforeAll(async () => {
    const outside = mkdtempSync(join(tmpdir(), 'neurncd-outside-'));
    outsideFile = join(outside, 'secret.txt');
    writeFileSync(outsideFile, SECRET);
    const site = mkdtempSync(join(tmpdir(), 'neurncd-site-'));
    writeFileSync(join(site, 'index.html'), page);
    const scan = mkdtempSync(join(tmpdir(), 'neurncd-served-scan-'));
    mkdirSync(join(scan, 'rgb'));
    writeFileSync(join(scan, 'rgb', 'frame.png'), 'png bytes');
    symlinkSync(join(scan, 'rgb', 'frame.png'), join(scan, 'rgb', 'linked-inside.png'));
    symlinkSync(outsideFile, join(scan, 'rgb', 'linked-outside.png'));
    symlinkSync(outside, join(scan, 'linked-folder'));
    server = await startStaticServer({ mounts: { '/': site, '/scan-input/': scan } });
  });
  afterAll(() => server?.close());

  it('serves the page and the scan files, following links that stay inside the scan folder', async () => {
    expect(await get(server, '/')).toMatchObject({ status: 200, body: page });
    expect(await get(server, '/scan-input/rgb/frame.png')).toMatchObject({ status: 200, body: 'png bytes' });
    expect(await get(server, '/scan-input/rgb/linked-inside.png')).toMatchObject({ status: 200, body: 'png bytes' });
  });

  it('refuses a link out of the scan folder, to a file or a folder, and never sends what is outside', async () => {
    for (const path of ['/scan-input/rgb/linked-outside.png', '/scan-input/linked-folder/secret.txt', '/scan-input/linked-folder/']) {
      const answer = await get(server, path);
      expect(answer.status, path).toBe(403);
      expect(answer.body, path).not.toContain(SECRET);
    }
    expect(readFileSync(outsideFile, 'utf8')).toBe(SECRET); // the file is there: refused, not missing
  });

  it('refuses a path that climbs out with ..', async () => {
    const answer = await get(server, `/scan-input/..%2F..%2F${encodeURIComponent(outsideFile.slice(1))}`);
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain(SECRET);
  });

  it('answers only requests addressed to this machine (no DNS rebinding)', async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
      expect((await get(server, '/', host)).status, host).toBe(200);
    }
    for (const host of [
      `evil.example:${server.port}`,
      'evil.example',
      `localhost.evil.example:${server.port}`,
      `localhost:${server.port + 1}`,
    ]) {
      const answer = await get(server, '/', host);
      expect(answer.status, host).toBe(403);
      expect(answer.body, host).not.toContain('the page');
    }
  });

  it("sends the page's Content-Security-Policy (the one the build puts in index.html) and the security headers", async () => {
    const vite = await createViteServer({ server: { middlewareMode: true, hmr: false, watch: null }, logLevel: 'error' });
    let html: string;
    try {
      html = await vite.transformIndexHtml('/', readFileSync('index.html', 'utf8'));
    } finally {
      await vite.close();
    }
    // The attribute as a browser reads it (Vite writes quotes as &#39;).
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1]?.replaceAll('&#39;', "'");
    expect(meta).toContain("default-src 'self'");
    for (const answer of [await get(server, '/'), await get(server, '/scan-input/rgb/frame.png'), await get(server, '/nothing-here')]) {
      expect(answer.headers).toMatchObject({
        'content-security-policy': meta,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
    }
  });
});
