/**
 * A lost GPU device costs no training beyond the field's last copy: the page as a person opens it,
 * a small scan dropped in, and while it trains the device is destroyed (as a driver reset takes
 * it). The page asks for a new device, says what happened and how many steps were lost, and goes
 * on training the same field: its PSNR carries on from where it was instead of starting over. Then
 * Chromium's GPU process is crashed (CDP Browser.crashGpuProcess), with the same outcome.
 * Then the page is reloaded: it names the scan whose field it kept (in the origin's private file
 * system), and dropping the same folder goes on from that field.
 */
import { basename } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { usePage } from '../helpers/browser-page.ts';
import { makeFixture, toNerfstudio, writeFiles } from '../helpers/scan-fixtures.ts';

const status = (p: Page): Promise<string> => p.evaluate(() => document.querySelector('[data-testid="status"]')?.textContent ?? '');

/** Waits until the status shows training at step >= `step`; returns step and batch PSNR. */
async function trainedTo(p: Page, step: number, timeout: number): Promise<{ step: number; psnr: number }> {
  await p.waitForFunction(
    (s) => Number(/Training: step (\d+)/.exec(document.querySelector('[data-testid="status"]')?.textContent ?? '')?.[1] ?? -1) >= s,
    step,
    { timeout },
  );
  const m = /Training: step (\d+), [\d.]+ steps\/s, PSNR ([\d.]+) dB/.exec(await status(p))!;
  return { step: Number(m[1]), psnr: Number(m[2]) };
}

describe('a lost GPU device, and a reload', () => {
  const page = usePage('', { live: true });
  const dir = writeFiles(toNerfstudio(makeFixture(8, 96, 72, 23)));

  it('is replaced, and training goes on from the last copy of the field', { timeout: 900_000 }, async () => {
    const { page: p, errors } = page();
    // The demo room is still being generated when the scan is given: its workers stop at once
    // instead of taking the cores from the scan the user gave until the demo is finished.
    const generators = (): number => p.workers().filter((w) => w.url().includes('synth-worker')).length;
    expect(await p.getByTestId('status').textContent()).toMatch(/^Generating the demo room/);
    expect(generators()).toBeGreaterThan(0);
    await p.getByTestId('folder-picker').setInputFiles(dir);
    await expect.poll(generators, { timeout: 5_000 }).toBe(0);
    await p.waitForFunction(() => window.neurncd.scan()?.format === 'nerfstudio', undefined, { timeout: 300_000 });
    // Past the first copy (taken at the first slice) and half a minute more: a later one.
    await trainedTo(p, 1, 600_000);
    await p.waitForTimeout(40_000);
    const before = await trainedTo(p, 1, 60_000);
    await p.evaluate(() => window.neurncd.gpu.loseDevice());
    await p.waitForFunction(
      () => /Training goes on on a new device from step/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
      undefined,
      {
        timeout: 120_000,
      },
    );
    const notice = /from step (\d+) \((\d+) steps? lost\)/.exec(await status(p));
    expect(notice, await status(p)).not.toBeNull();
    const from = Number(notice![1]);
    const lost = Number(notice![2]);
    expect(from).toBeGreaterThan(0);
    expect(from + lost).toBeGreaterThanOrEqual(before.step);
    // Training goes on from there, on a device that works, with the field it had.
    const after = await trainedTo(p, from + 20, 300_000);
    console.log(
      `[device-loss] lost at step ${before.step} (PSNR ${before.psnr}); went on from ${from} (${lost} lost); step ${after.step}: PSNR ${after.psnr}`,
    );
    expect(after.psnr).toBeGreaterThan(before.psnr - 2);
    expect(await p.evaluate(() => window.neurncd.adapter())).not.toBeNull();
    expect(await p.getByTestId('notice').count()).toBe(0);

    // A crash of Chromium's GPU process (as a driver fault takes it): the same recovery.
    const cdp = await p.context().browser()!.newBrowserCDPSession();
    await cdp.send('Browser.crashGpuProcess' as never);
    await p.waitForFunction(() => window.neurncd.gpu.losses().length === 2, undefined, { timeout: 120_000 });
    const crashed = await trainedTo(p, after.step + 10, 300_000);
    console.log(`[device-loss] GPU process crashed at step ${after.step}; step ${crashed.step}: PSNR ${crashed.psnr}`);
    // One batch's PSNR, some steps after going on from a copy older than `before`: as loose as the
    // autosave's check below (an untrained field is further off still).
    expect(crashed.psnr).toBeGreaterThan(before.psnr - 5);
    expect((await p.evaluate(() => window.neurncd.gpu.losses())).map((l) => l.reason)).toEqual(['destroyed', 'unknown']);
    expect(await p.getByTestId('notice').count()).toBe(0);
    expect(errors.filter((e) => !/device|lost|destroyed/i.test(e))).toEqual([]);
  });

  it('after a reload, the same scan dropped again goes on from its autosaved field', { timeout: 900_000 }, async () => {
    const { page: p } = page();
    // Let a copy taken after the new device's first half minute reach the autosave.
    await p.waitForTimeout(35_000);
    const before = await trainedTo(p, 1, 60_000);
    await p.reload();
    await expect
      .poll(() => p.getByTestId('autosave').textContent(), { timeout: 60_000 })
      .toMatch(
        new RegExp(`^Saved from your last session: ${basename(dir)}, trained to step \\d+ .*Drop the same scan to go on from there\\.$`),
      );
    const saved = Number(/trained to step (\d+)/.exec((await p.getByTestId('autosave').textContent())!)![1]);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThanOrEqual(before.step);
    await p.getByTestId('folder-picker').setInputFiles(dir);
    await p.waitForFunction(
      () => /Went on from the field saved at step/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
      undefined,
      { timeout: 600_000 },
    );
    expect(await status(p)).toContain(`Went on from the field saved at step ${saved}`);
    expect(await p.getByTestId('autosave').isHidden()).toBe(true);
    // The step count is the saved field's: the first slice after the reload ends past it, not near 0.
    const first = await trainedTo(p, 1, 300_000);
    expect(first.step).toBeGreaterThan(saved);
    const after = await trainedTo(p, first.step + 8, 300_000);
    console.log(
      `[autosave] saved at step ${saved} (PSNR ${before.psnr} at ${before.step}); after the reload, step ${after.step}: PSNR ${after.psnr}`,
    );
    // Batch PSNR varies by a few dB from slice to slice (each draws other rays); a fresh field is near 15 dB here.
    expect(after.psnr).toBeGreaterThan(before.psnr - 5);
  });
});
