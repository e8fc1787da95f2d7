/**
 * A static file server bound to the loopback interface: serves the built page (and, for the
 * headless commands, a scan folder) to Chromium. Never listens on other interfaces, answers only
 * requests addressed to localhost (a page elsewhere cannot reach it through a DNS name rebound to
 * 127.0.0.1), and serves a file only if its real path, symbolic links resolved, is inside the
 * folder mounted: a link in a scan folder does not expose the rest of the disk.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../content-security-policy.ts';
import { isInside } from './inside-folder.ts';

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

/** The names a browser on this machine uses for it; any other Host header is refused. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

function isLocalHost(host: string | undefined, port: number): boolean {
  const name = host?.toLowerCase();
  return LOCAL_HOSTS.some((h) => name === `${h}:${port}` || (port === 80 && name === h));
}

/** Sent with every answer, errors included. */
function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  // Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer).
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
}

/**
 * The regular file `path` names (a folder's index.html), by its real path, and its size; or the
 * status to answer: 403 where a symbolic link leads out of the served folder, 404 where there is
 * no such file.
 */
async function realFileInside(realRoot: string, path: string, folderIndex = true): Promise<{ file: string; size: number } | 403 | 404> {
  const real = await realpath(path).catch(() => null);
  if (real === null) return 404;
  if (!isInside(realRoot, real)) return 403;
  const info = await stat(real).catch(() => null);
  if (info?.isDirectory() && folderIndex) return realFileInside(realRoot, join(real, 'index.html'), false);
  return info?.isFile() ? { file: real, size: info.size } : 404;
}

export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const mounts = (
    await Promise.all(
      Object.entries(options.mounts).map(
        async ([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, await realpath(dir)] as const,
      ),
    )
  ).sort((a, b) => b[0].length - a[0].length);
  let port = 0;

  const server: Server = createServer((req, res) => {
    const finish = (status: number, body?: string): void => {
      res.statusCode = status;
      if (body !== undefined) {
        if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(body);
      }
      options.onRequest?.(req.url ?? '', status);
    };
    setSecurityHeaders(res);
    void (async () => {
      if (!isLocalHost(req.headers.host, port)) return finish(403, `this server answers only to localhost:${port}`);
      if (req.method !== 'GET' && req.method !== 'HEAD') return finish(405, 'method not allowed');
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        return finish(400, 'bad path');
      }
      const mount = mounts.find(([prefix]) => path.startsWith(prefix) || `${path}/` === prefix);
      if (!mount) return finish(404, 'not found');
      const file = resolve(mount[1], normalize(path.slice(mount[0].length)).replace(/^([/\\])+/, ''));
      const found = isInside(mount[1], file) ? await realFileInside(mount[1], file) : 403;
      if (found === 403) return finish(403, 'outside the served folder');
      if (found === 404) return finish(404, 'not found');
      res.setHeader('Content-Type', MIME[extname(found.file).toLowerCase()] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(found.size));
      res.setHeader('Cache-Control', 'no-cache');
      if (req.method === 'HEAD') return finish(200, '');
      res.statusCode = 200;
      createReadStream(found.file)
        .on('error', () => res.destroy())
        .pipe(res)
        .on('finish', () => options.onRequest?.(req.url ?? '', 200));
    })();
  });

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  port = (server.address() as AddressInfo).port;
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
