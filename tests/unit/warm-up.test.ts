/**
 * The warm-up gate before discovery: not before the minimum, warm once the smoothed semantic loss
 * stops falling fast, at the maximum whatever the loss does, and once warm it stays warm.
 */
import { describe, expect, it } from 'vitest';
import { WarmUp } from '../../src/run/warm-up.ts';

const settings = { minSteps: 40, maxSteps: 400, window: 40, flatFall: 0.1, smoothing: 8 };

describe('warm-up', () => {
  it('waits while the loss falls fast and opens when it levels off', () => {
    const w = new WarmUp(settings);
    // Falls by half every 40 steps until step 120, then flat.
    const loss = (step: number) => (step <= 120 ? 1 * 0.5 ** (step / 40) : 0.125);
    let opened = -1;
    for (let step = 4; step <= 300; step += 4) {
      w.observe(step, loss(step));
      if (opened < 0 && w.state.warm) opened = step;
    }
    expect(opened).toBeGreaterThan(120);
    expect(opened).toBeLessThan(220);
    expect(w.state.fall).toBeLessThan(0.1);
  });

  it('is never warm before the minimum, and always by the maximum', () => {
    const flat = new WarmUp(settings);
    for (let step = 4; step <= 36; step += 4) flat.observe(step, 1);
    expect(flat.state.warm).toBe(false);
    const falling = new WarmUp(settings);
    for (let step = 4; step <= 400; step += 4) falling.observe(step, 0.99 ** step);
    expect(falling.state.warm).toBe(true);
    expect(falling.state.fall!).toBeGreaterThan(0.1);
  });

  it('opens by the run’s limit when one is set, and from the start at 0', () => {
    const limited = new WarmUp(settings);
    limited.limit(20);
    limited.observe(16, 1);
    expect(limited.state.warm).toBe(false);
    limited.observe(20, 0.5);
    expect(limited.state.warm).toBe(true);
    const at0 = new WarmUp(settings);
    at0.limit(0);
    at0.observe(1, 1);
    expect(at0.state.warm).toBe(true);
    // A later, higher limit brings back the minimum of the settings.
    const raised = new WarmUp(settings);
    raised.limit(0);
    raised.limit(400);
    for (let step = 4; step <= 36; step += 4) raised.observe(step, 1);
    expect(raised.state.warm).toBe(false);
  });

  it('stays warm once it was, ignores non-finite losses, and starts over on reset', () => {
    const w = new WarmUp(settings);
    for (let step = 4; step <= 100; step += 4) w.observe(step, 1);
    expect(w.state.warm).toBe(true);
    for (let step = 104; step <= 200; step += 4) w.observe(step, 0.97 ** step);
    w.observe(204, Number.NaN);
    expect(w.state.warm).toBe(true);
    w.reset();
    expect(w.state).toEqual({ warm: false, loss: null, fall: null, step: 0 });
  });
});
