/**
 * A lost GPU device costs no training beyond the field's last copy: the page as a person opens it,
 * a small scan dropped in, and while it trains the device is destroyed (as a driver reset takes
 * it). The page asks for a new device, says what happened and how many steps were lost, and goes
 * on training the same field: training is deterministic (a step's rays are drawn from its number),
 * so from the copy on, the field scores at every step what the lost one scored there. Then
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

/** Waits until the page runs a pipeline on the scan it was given (segmented, its field built). */
async function running(p: Page): Promise<void> {
  await expect
    .poll(() => p.evaluate(async () => (await window.neurncd.training.psnr()) !== null), { timeout: 600_000, interval: 1_000 })
    .toBe(true);
}

/** Pauses training (the panel's button); returns the step it holds at. */
async function pause(p: Page): Promise<number> {
  await p.getByTestId('train-toggle').click();
  await p.waitForFunction(
    () => /^Paused at step \d+/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
    undefined,
    {
      timeout: 300_000,
    },
  );
  return Number(/^Paused at step (\d+)/.exec(await status(p))![1]);
}

/**
 * The field's PSNR on the same pixels of its training views (window.neurncd.training.psnr), by
 * step, over every field the page trains: the lost one's and the one rebuilt from its copy. A step
 * scored twice must score the same (to 0.01 dB) whichever field reached it; the status line's PSNR,
 * one batch's, varies by dBs from batch to batch and could not tell.
 */
class ScoresByStep {
  private readonly scores = new Map<number, number>();
  /** Steps scored again by a field that went on from a copy. */
  rescored = 0;

  private lastStep = -1;

  async sample(p: Page): Promise<{ step: number; psnr: number }> {
    const s = await p.evaluate(() => window.neurncd.training.psnr());
    expect(s).not.toBeNull();
    const { step, psnr } = s!;
    expect(Number.isFinite(psnr)).toBe(true);
    const before = this.scores.get(step);
    if (before === undefined) this.scores.set(step, psnr);
    else {
      expect(Math.abs(psnr - before), `step ${step} scored ${before} before, ${psnr} now`).toBeLessThan(0.01);
      // Reached again (not just scored twice while the field held still).
      if (step !== this.lastStep) this.rescored++;
    }
    this.lastStep = step;
    return s!;
  }

  /** The field was rebuilt (from a copy): its next score is a step reached again, even the step it was lost at. */
  replaced(): void {
    this.lastStep = -1;
  }

  /** Scores as often as the page lets (about every slice) until `done` says enough. */
  async sampleUntil(p: Page, done: (s: { step: number; psnr: number }) => boolean): Promise<{ step: number; psnr: number }> {
    for (;;) {
      const s = await this.sample(p);
      if (done(s)) return s;
    }
  }

  log(): string {
    return [...this.scores].map(([step, psnr]) => `${psnr.toFixed(3)}@${step}`).join(' ');
  }
}

/** Waits for a new device's notice (other than `previous`); returns the step training went on from. */
async function wentOnFrom(p: Page, previous = ''): Promise<{ from: number; lost: number; notice: string }> {
  await p.waitForFunction(
    (old) => {
      const m = /Training goes on on a new device from step .*/.exec(document.querySelector('[data-testid="status"]')?.textContent ?? '');
      return m !== null && m[0] !== old;
    },
    previous,
    { timeout: 120_000 },
  );
  const notice = /Training goes on on a new device from step (\d+) \((\d+) steps? lost\)/.exec(await status(p));
  expect(notice, await status(p)).not.toBeNull();
  return { from: Number(notice![1]), lost: Number(notice![2]), notice: notice![0] };
}

/**
 * Training paused at step `paused` lost its device and went on from `from`: still paused, the field
 * is the copy's; trained on past `paused`, it scores again the steps the lost field scored.
 */
async function goesOnAsBefore(p: Page, scores: ScoresByStep, from: number, paused: number): Promise<{ step: number; psnr: number }> {
  const rescored = scores.rescored;
  scores.replaced();
  expect((await scores.sample(p)).step).toBe(from);
  await p.getByTestId('train-toggle').click();
  const last = await scores.sampleUntil(p, (s) => s.step > paused);
  console.log(`[device-loss] went on from ${from} (paused at ${paused}); scores: ${scores.log()}`);
  expect(scores.rescored).toBeGreaterThan(rescored);
  return last;
}

describe('a lost GPU device, and a reload', () => {
  const page = usePage('', { live: true });
  const dir = writeFiles(toNerfstudio(makeFixture(8, 96, 72, 23)));
  const scores = new ScoresByStep();

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
    await running(p);
    // Past the first copy (taken at the first slice) and half a minute more, then two slices:
    // a later copy has been taken (at the end of the first slice after 30 s), however slow the machine.
    const first = await scores.sample(p);
    const start = Date.now();
    const late = await scores.sampleUntil(p, () => Date.now() - start > 40_000);
    await scores.sampleUntil(p, (s) => s.step >= late.step + 8);
    const paused = await pause(p);
    await scores.sample(p);
    await p.evaluate(() => window.neurncd.gpu.loseDevice());
    const lost = await wentOnFrom(p);
    expect(lost.from).toBeGreaterThan(first.step);
    expect(lost.from + lost.lost).toBe(paused);
    const resumed = await goesOnAsBefore(p, scores, lost.from, paused);
    expect(await p.evaluate(() => window.neurncd.adapter())).not.toBeNull();
    expect(await p.getByTestId('notice').count()).toBe(0);

    // A crash of Chromium's GPU process (as a driver fault takes it): the same recovery.
    await scores.sampleUntil(p, (s) => s.step >= resumed.step + 8);
    const crashedAt = await pause(p);
    await scores.sample(p);
    const cdp = await p.context().browser()!.newBrowserCDPSession();
    await cdp.send('Browser.crashGpuProcess' as never);
    await p.waitForFunction(() => window.neurncd.gpu.losses().length === 2, undefined, { timeout: 120_000 });
    const crashed = await wentOnFrom(p, lost.notice);
    expect(crashed.from + crashed.lost).toBe(crashedAt);
    await goesOnAsBefore(p, scores, crashed.from, crashedAt);
    expect((await p.evaluate(() => window.neurncd.gpu.losses())).map((l) => l.reason)).toEqual(['destroyed', 'unknown']);
    expect(await p.getByTestId('notice').count()).toBe(0);
    expect(errors.filter((e) => !/device|lost|destroyed/i.test(e))).toEqual([]);
  });

  it('after a reload, the same scan dropped again goes on from its autosaved field', { timeout: 900_000 }, async () => {
    const { page: p } = page();
    // Let a copy taken after the new device's first half minute reach the autosave; paused, so
    // that no copy comes after the last score.
    const start = Date.now();
    await scores.sampleUntil(p, () => Date.now() - start > 35_000);
    const paused = await pause(p);
    await scores.sample(p);
    // A loaded machine can take more than the default half minute to tear the training page down.
    await p.reload({ timeout: 120_000 });
    await expect
      .poll(() => p.getByTestId('autosave').textContent(), { timeout: 60_000 })
      .toMatch(
        new RegExp(`^Saved from your last session: ${basename(dir)}, trained to step \\d+ .*Drop the same scan to go on from there\\.$`),
      );
    const saved = Number(/trained to step (\d+)/.exec((await p.getByTestId('autosave').textContent())!)![1]);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThanOrEqual(paused);
    // Paused before the scan is given: it stays paused at the saved field's step, not near 0.
    await p.getByTestId('train-toggle').click();
    await p.getByTestId('folder-picker').setInputFiles(dir);
    await p.waitForFunction(
      () => /Went on from the field saved at step/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
      undefined,
      { timeout: 600_000 },
    );
    expect(await status(p)).toContain(`Went on from the field saved at step ${saved}`);
    expect(await p.getByTestId('autosave').isHidden()).toBe(true);
    await running(p);
    await goesOnAsBefore(p, scores, saved, paused);
  });
});
