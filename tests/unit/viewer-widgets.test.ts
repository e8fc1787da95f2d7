import { describe, expect, it } from 'vitest';
import { cssRgb, formatShare, MAX_CLASS_NAME_LENGTH, validateClassName } from '../../src/viewer/class-legend.ts';
import { dataValue, finiteRange, formatNumber, topProbabilities } from '../../src/viewer/pixel-inspector.ts';
import { decimationIndices, MAX_CHART_POINTS } from '../../src/viewer/training-charts.ts';

describe('class names typed in the legend', () => {
  it('are trimmed, refused when empty, and cut to 64 characters', () => {
    expect(validateClassName('  lamp shade ')).toBe('lamp shade');
    expect(validateClassName('')).toBeNull();
    expect(validateClassName(' \t\n ')).toBeNull();
    const long = 'x'.repeat(100);
    expect(validateClassName(long)).toBe('x'.repeat(MAX_CLASS_NAME_LENGTH));
    // Characters, not UTF-16 units: a name of emoji is not cut in the middle of one.
    const emoji = '🛋'.repeat(70);
    expect(Array.from(validateClassName(emoji)!)).toHaveLength(MAX_CLASS_NAME_LENGTH);
    // Markup is just text to the legend: kept as typed.
    expect(validateClassName('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });

  it('shares and colours format safely', () => {
    expect(formatShare(0.1234)).toBe('12.3%');
    expect(formatShare(NaN)).toBe('—');
    expect(cssRgb([300, -4, 12.6])).toBe('rgb(255, 0, 13)');
    expect(cssRgb([NaN, 1, 2])).toBe('rgb(0, 1, 2)');
    expect(cssRgb(undefined)).toBe('rgb(0, 0, 0)');
  });
});

describe('pixel inspector helpers', () => {
  it('picks the five most likely classes, non-numbers last, stable on ties', () => {
    const probs = [0.05, NaN, 0.3, 0.1, 0.3, 0.2, 0.05].map((p, i) => ({ name: `c${i}`, p }));
    expect(topProbabilities(probs).map((e) => e.name)).toEqual(['c2', 'c4', 'c5', 'c3', 'c0']);
    expect(topProbabilities(probs.slice(0, 2)).map((e) => e.name)).toEqual(['c0', 'c1']);
    expect(topProbabilities([])).toEqual([]);
  });

  it('shows non-finite numbers as a dash and NaN', () => {
    expect(formatNumber(1.23456, 3)).toBe('1.235');
    expect(formatNumber(Infinity, 3)).toBe('—');
    expect(formatNumber(null, 3)).toBe('—');
    expect(dataValue(0.25)).toBe('0.25');
    expect(dataValue(-Infinity)).toBe('NaN');
    expect(dataValue(null)).toBe('NaN');
  });

  it('finds the range of the finite embedding values', () => {
    expect(finiteRange(new Float32Array([-2, 1, NaN, 3]))).toEqual({ min: -2, max: 3, maxAbs: 3 });
    const none = finiteRange([NaN]);
    expect(none.maxAbs).toBe(0);
    expect(Number.isNaN(none.min) && Number.isNaN(none.max)).toBe(true);
  });
});

describe('chart decimation', () => {
  it('keeps everything up to the limit', () => {
    expect(decimationIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(decimationIndices(0, 10)).toEqual([]);
  });

  it('keeps the recent half whole and thins older points evenly', () => {
    const n = MAX_CHART_POINTS + 1;
    const keep = decimationIndices(n);
    expect(keep.length).toBe((MAX_CHART_POINTS * 3) / 4);
    expect(keep[0]).toBe(0);
    expect(keep.at(-1)).toBe(n - 1);
    for (let i = 1; i < keep.length; i++) expect(keep[i]!).toBeGreaterThan(keep[i - 1]!);
    const recent = keep.slice(-MAX_CHART_POINTS / 2);
    expect(recent).toEqual(Array.from({ length: MAX_CHART_POINTS / 2 }, (_, i) => n - MAX_CHART_POINTS / 2 + i));
    // The older part is evenly spread: gaps differ by at most one.
    const old = keep.slice(0, MAX_CHART_POINTS / 4);
    const gaps = old.slice(1).map((k, i) => k - old[i]!);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });

  it('stays bounded when points keep coming', () => {
    let points: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      points.push(step);
      if (points.length > MAX_CHART_POINTS) points = decimationIndices(points.length).map((k) => points[k]!);
      expect(points.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    }
    expect(points[0]).toBe(0);
    expect(points.at(-1)).toBe(19_999);
  });

  it('handles tiny limits', () => {
    expect(decimationIndices(10, 1)).toEqual([0]);
    expect(decimationIndices(10, 3)).toEqual([0, 5, 9]);
  });
});
