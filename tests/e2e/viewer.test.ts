/**
 * The viewer as a person uses it: the page opens on the demo room and trains by itself; novel
 * classes appear in the legend, marked new; the page answers clicks while it trains.
 */
import { describe, expect, it } from 'vitest';
import { usePage } from '../helpers/browser-page.ts';

describe('the viewer', () => {
  const page = usePage('', { live: true });

  it('trains the demo by itself until a novel class is in the legend', async () => {
    const { page: p, errors } = page();
    await p.waitForSelector('[data-testid="legend-item"][data-novel="true"]', { timeout: 900_000 });
    await p.waitForFunction(() => /Training: step .*Discovery: update/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    const status = (await p.getByTestId('status').textContent()) ?? '';
    expect(status).toMatch(/Training: step \d+, [\d.]+ steps\/s, PSNR [\d.]+ dB/);
    expect(status).toMatch(/Discovery: update \d+ at step \d+, \d+ classes \(\d+ novel\)/);
    const novel = await p.locator('[data-testid="legend-item"][data-novel="true"]').first().getAttribute('data-class-name');
    expect(novel).toMatch(/^novel-\d+$/);
    // Just discovered: marked as new.
    expect(await p.locator('[data-testid="legend-item"][data-novel="true"] [data-testid="legend-new"]:visible').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 960_000);

  it('answers a click within a second while training', async () => {
    const { page: p } = page();
    const box = (await p.getByTestId('view').boundingBox())!;
    const started = Date.now();
    await p.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6);
    await p.waitForSelector('[data-testid="inspector-entropy"]', { timeout: 10_000 });
    const elapsed = Date.now() - started;
    console.log(`[viewer] click answered in ${elapsed} ms while training`);
    expect(elapsed).toBeLessThan(1000);
  });
});
