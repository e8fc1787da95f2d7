/**
 * The page for end-to-end tests: Debian's Chromium driven by Playwright, WebGPU on (SwiftShader
 * when the machine has no GPU), a fresh profile, no background networking. Every browser test
 * gets its page from here and can check what the page fetched.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { launchChromium } from '../../src/cli/chromium.ts';

export interface TestPage {
  page: Page;
  browser: Browser;
  baseUrl: string;
  /** Every URL the page requested, in order. */
  requests: string[];
  /** console.error lines and uncaught exceptions of the page. */
  errors: string[];
  /** Requests that went anywhere but the page's own origin. */
  foreignRequests(): string[];
  close(): Promise<void>;
}

export async function openPage(
  path = '',
  /** live: the page as a person opens it (demo and training start by themselves); else `?live=off`, scripts drive it. */
  options: {
    webgpu?: boolean;
    chromiumArgs?: string[];
    waitForReady?: boolean;
    live?: boolean;
    viewport?: { width: number; height: number };
  } = {},
): Promise<TestPage> {
  const baseUrl = inject('baseUrl');
  const browser = await launchChromium({ webgpu: options.webgpu, extraArgs: options.chromiumArgs });
  const page = await browser.newPage(options.viewport ? { viewport: options.viewport } : {});
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = new URL(path, baseUrl);
  if (!options.live) url.searchParams.set('live', 'off');
  await page.goto(url.href);
  if (options.waitForReady ?? true) {
    await page.evaluate(() => window.neurncd.ready);
    const adapter = await page.evaluate(() => window.neurncd.adapter());
    console.log(`[browser-page] adapter: ${adapter ? JSON.stringify(adapter) : 'none'}`);
  }
  const origin = new URL(baseUrl).origin;
  return {
    page,
    browser,
    baseUrl,
    requests,
    errors,
    foreignRequests: () => requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:')),
    close: () => browser.close(),
  };
}

/** Opens one page for the enclosing describe block (before its tests) and closes it after. */
export function usePage(path = '', options: Parameters<typeof openPage>[1] = {}): () => TestPage {
  let opened: TestPage | undefined;
  beforeAll(async () => {
    opened = await openPage(path, options);
  });
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    if (!opened) throw new Error('the page did not open');
    return opened;
  };
}
