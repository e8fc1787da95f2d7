/**
 * Debian's Chromium, driven by Playwright, for the headless commands and the browser tests:
 * WebGPU on (SwiftShader when the machine has no GPU), a fresh profile, no background networking.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--disable-extensions',
];

/** WebGPU is behind a flag in Chromium on Linux; without it (and with the feature off) it is a browser without WebGPU. */
const WEBGPU_ON = ['--enable-unsafe-webgpu'];
const WEBGPU_OFF = ['--disable-features=WebGPU'];

export class NoChromiumError extends Error {
  override name = 'NoChromiumError';
}

export async function launchChromium(options: { webgpu?: boolean; extraArgs?: string[] } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new NoChromiumError(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  // Playwright gives each launch a new temporary profile (--user-data-dir).
  const gpuArgs = options.webgpu === false ? WEBGPU_OFF : WEBGPU_ON;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...gpuArgs, ...(options.extraArgs ?? [])],
  });
}
