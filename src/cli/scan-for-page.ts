/**
 * A scan folder (or .zip) given on the command line, checked in Node first (a bad folder fails in
 * a second, not after a page build) and then served to the headless page under `/scan-input/`,
 * with the request that tells the page where its files are.
 */
import { basename, dirname, resolve } from 'node:path';
import type { ScanRequest } from '../automation/scan-request.ts';
import { loadScan } from '../scan/load-scan.ts';
import type { Scan } from '../scan/scan.ts';
import { decodeImageNode } from './node-image-decoder.ts';
import { DirectorySource, openScanPath } from './node-scan-source.ts';

export interface ScanForPage {
  /** The scan as Node's loader read it. */
  checked: Scan;
  request: ScanRequest;
  /** URL prefix -> folder, for the static server. */
  mounts: Record<string, string>;
}

export async function scanForPage(path: string): Promise<ScanForPage> {
  const scanPath = resolve(path);
  const source = await openScanPath(scanPath);
  const checked = await loadScan(source, { decodeImage: decodeImageNode });
  const directory = source instanceof DirectorySource;
  return {
    checked,
    mounts: { '/scan-input/': directory ? source.root : dirname(scanPath) },
    request: directory
      ? { name: basename(scanPath), base: '/scan-input/', paths: [...source.paths] }
      : { name: basename(scanPath), zipUrl: `/scan-input/${encodeURIComponent(basename(scanPath))}` },
  };
}
