/**
 * A scan the headless commands hand to the page: its files under a URL prefix of the page's own
 * origin (the command serves the folder there), or one zip. The page fetches it and loads it as a
 * dropped scan.
 */
import type { ScanInput } from '../scan/load-scan-in-worker.ts';

export type ScanRequest = { name: string; base: string; paths: string[] } | { name: string; zipUrl: string };

async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.blob();
}

export async function fetchScanInput(scan: ScanRequest): Promise<ScanInput> {
  if ('zipUrl' in scan) return { kind: 'zip', name: scan.name, blob: await fetchBlob(scan.zipUrl) };
  const entries = [];
  for (const path of scan.paths)
    entries.push({ path, blob: await fetchBlob(`${scan.base}${path.split('/').map(encodeURIComponent).join('/')}`) });
  return { kind: 'files', name: scan.name, entries };
}
