/**
 * A static file server bound to the loopback interface: serves the built page (and, for the
 * headless commands, a scan folder) to Chromium. Never listens on other interfaces.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.zip': 'application/zip',
  '.ply': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** URL prefix ('/' or '/scan/') to folder. The longest matching prefix wins. */
  mounts: Record<string, string>;
  port?: number;
  /** Called for every request, e.g. to check what a page fetched. */
  onRequest?: (path: string, status: number) => void;
}

function resolveInside(root: string, relative: string): string | null {
  const full = resolve(root, normalize(relative).replace(/^([/\\])+/, ''));
  return full === root || full.startsWith(root + sep) ? full : null;
}

export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(options.mounts)
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, resolve(dir)] as const)
    .sort((a, b) => b[0].length - a[0].length);

  const server: Server = createServer((req, res) => {
    const finish = (status: number, body?: string): void => {
      res.statusCode = status;
      if (body !== undefined) res.end(body);
      options.onRequest?.(req.url ?? '', status);
    };
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return finish(405, 'method not allowed');
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        return finish(400, 'bad path');
      }
      const mount = mounts.find(([prefix]) => path.startsWith(prefix) || `${path}/` === prefix);
      if (!mount) return finish(404, 'not found');
      let file = resolveInside(mount[1], path.slice(mount[0].length));
      if (!file) return finish(403, 'outside the served folder');
      let info = await stat(file).catch(() => null);
      if (info?.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file).catch(() => null);
      }
      if (!info?.isFile()) return finish(404, 'not found');
      res.setHeader('Content-Type', MIME[extname(file).toLowerCase()] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(info.size));
      res.setHeader('Cache-Control', 'no-cache');
      // Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer).
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      if (req.method === 'HEAD') return finish(200, '');
      res.statusCode = 200;
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res)
        .on('finish', () => options.onRequest?.(req.url ?? '', 200));
    })();
  });

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}/`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
