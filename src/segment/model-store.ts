/**
 * Models downloaded on demand and kept in the browser: a model file is fetched only when the user
 * asks, with progress, checked against the size and SHA-256 its entry promises, and put in Cache
 * Storage once it has loaded, so a later session (or one without network) loads it from there. A
 * file that fails the check, or does not load, is never cached.
 */

export interface ModelFileRef {
  url: string;
  sha256: string;
  sizeBytes: number;
}

export type DownloadProgress = (loaded: number, total: number) => void;

const CACHE_NAME = 'neurncd-models-v1';

const fileName = (url: string): string => decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Fetches a file's bytes with download progress; an HTTP or network failure names the file. */
export async function fetchBytes(url: string, onProgress?: DownloadProgress): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${fileName(url)}: could not be fetched from ${url} (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!response.ok) throw new Error(`${fileName(url)}: HTTP ${response.status} from ${url}`);
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body) return response.arrayBuffer();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    let part: ReadableStreamReadResult<Uint8Array>;
    try {
      part = await reader.read();
    } catch (e) {
      throw new Error(`${fileName(url)}: the download broke off after ${loaded} bytes (${e instanceof Error ? e.message : String(e)})`);
    }
    if (part.done) break;
    chunks.push(part.value);
    loaded += part.value.byteLength;
    onProgress?.(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes.buffer;
}

/** Throws, naming the file, when bytes are not the file the entry promises. */
export async function verifyModelBytes(ref: ModelFileRef, bytes: ArrayBuffer): Promise<void> {
  const name = fileName(ref.url);
  if (bytes.byteLength !== ref.sizeBytes) {
    throw new Error(`${name}: is ${bytes.byteLength} bytes, but ${ref.sizeBytes} were expected (truncated or a different file)`);
  }
  const digest = await sha256Hex(bytes);
  if (digest !== ref.sha256.toLowerCase()) {
    throw new Error(`${name}: SHA-256 is ${digest}, but ${ref.sha256} was expected (corrupt or a different file)`);
  }
}

export class ModelStore {
  constructor(private readonly cacheName = CACHE_NAME) {}

  private open(): Promise<Cache> {
    if (typeof caches === 'undefined') throw new Error('Cache Storage is not available (the page needs a secure context)');
    return caches.open(this.cacheName);
  }

  /** The cached bytes of a model, or null when it is not cached (or the cached copy is not the promised file). */
  async cached(ref: ModelFileRef): Promise<ArrayBuffer | null> {
    const cache = await this.open();
    const hit = await cache.match(ref.url);
    if (!hit) return null;
    const bytes = await hit.arrayBuffer();
    try {
      await verifyModelBytes(ref, bytes);
    } catch {
      // A stale or damaged copy (the entry was updated): drop it and download again.
      await cache.delete(ref.url);
      return null;
    }
    return bytes;
  }

  /** Downloads a model and checks it; not cached yet (see put): only a model that loads is kept. */
  async download(ref: ModelFileRef, onProgress?: DownloadProgress): Promise<ArrayBuffer> {
    const bytes = await fetchBytes(ref.url, onProgress);
    await verifyModelBytes(ref, bytes);
    return bytes;
  }

  async put(ref: ModelFileRef, bytes: ArrayBuffer): Promise<void> {
    const cache = await this.open();
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.byteLength) };
    await cache.put(ref.url, new Response(bytes, { headers }));
  }

  /** URLs of the cached models. */
  async list(): Promise<string[]> {
    const cache = await this.open();
    return (await cache.keys()).map((r) => r.url);
  }

  async remove(url: string): Promise<boolean> {
    return (await this.open()).delete(url);
  }
}
