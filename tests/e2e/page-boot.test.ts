import { describe, expect, it } from 'vitest';
import { openPage, usePage } from '../helpers/browser-page.ts';

function cpuExclusiveScan(values: number[]): number[] {
  let sum = 0;
  return values.map((v) => {
    const before = sum;
    sum = (sum + v) >>> 0;
    return before;
  });
}

describe('the built page in Chromium', () => {
  const page = usePage();

  it('gets a WebGPU adapter and says which in the status line', async () => {
    const t = page();
    const adapter = await t.page.evaluate(() => window.neurncd.adapter());
    expect(adapter, String(await t.page.evaluate(() => window.neurncd.gpuError()))).not.toBeNull();
    const status = await t.page.getByTestId('status').textContent();
    expect(status).toMatch(/^Ready on /);
    expect(status).toContain(adapter!.architecture || adapter!.vendor);
  });

  it.each([1, 5, 1024, 1025, 70_001])('runs the prefix-sum kernel on %i values like the CPU', async (n) => {
    const values = Array.from({ length: n }, (_, i) => (i * 2654435761) % 977);
    const result = await page().page.evaluate((v) => window.neurncd.gpu.exclusiveScan(v), values);
    expect(result).toEqual(cpuExclusiveScan(values));
  });

  it('fetched nothing but its own files and logged no errors', () => {
    const t = page();
    expect(t.foreignRequests()).toEqual([]);
    expect(t.errors).toEqual([]);
  });
});

describe('the page without WebGPU', () => {
  it('explains what is missing instead of showing a blank canvas', async () => {
    const t = await openPage('', { webgpu: false, waitForReady: false });
    try {
      await t.page.evaluate(() => window.neurncd.ready);
      expect(await t.page.getByTestId('status').textContent()).toBe('No WebGPU');
      const notice = await t.page.getByTestId('notice').textContent();
      expect(notice).toContain('This page needs WebGPU');
      expect(notice).toMatch(/Chrome|Edge/);
    } finally {
      await t.close();
    }
  });
});
