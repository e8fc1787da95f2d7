/**
 * The page, built and served on localhost, open in headless Chromium: how the headless commands
 * run the pipeline with the page's own code. Lines the page logs with a command's prefix are
 * passed on as progress.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { launchChromium } from './chromium.ts';
import { startStaticServer } from './static-server.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class NoWebGpuError extends Error {
  override name = 'NoWebGpuError';
}

export interface HeadlessPage {
  page: Page;
  close(): Promise<void>;
}

/** `mounts`: more folders to serve beside the page (URL prefix -> folder), e.g. a scan to load. */
export async function openHeadlessPage(options: {
  progressPrefix: string;
  onProgress: (line: string) => void;
  mounts?: Record<string, string>;
}): Promise<HeadlessPage> {
  const outDir = mkdtempSync(join(tmpdir(), 'neurncd-headless-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(outDir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    // Only errors: a headless command's stderr is its one `error:` line, and a build's warnings
    // (the bundler's plugin timings on a loaded machine, say) are not the user's business.
    await build({ root, logLevel: 'error', build: { outDir, emptyOutDir: true } });
    const server = await startStaticServer({ mounts: { ...options.mounts, '/': outDir } });
    cleanups.push(() => server.close());
    const browser = await launchChromium({ webgpu: true });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith(options.progressPrefix)) options.onProgress(text.slice(options.progressPrefix.length).trimStart());
    });
    // live=off: the page loads what it is asked to and trains only when the script says so.
    await page.goto(new URL('?live=off', server.url).href);
    await page.evaluate(() => window.neurncd.ready);
    const gpuError = await page.evaluate(() => window.neurncd.gpuError());
    if (gpuError) throw new NoWebGpuError(`headless Chromium has no WebGPU: ${gpuError}`);
    return { page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
