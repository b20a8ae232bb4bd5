import {
  atLeast,
  atMost,
  figureTable,
  formatNumber,
  formatTable,
  leastSquares,
  parseLevels,
  percentile,
  ratio,
  summarize,
  targetMet,
  type FigureRow,
} from '../../bench/stats';

describe('bench statistics', () => {
  test('a percentile is the nearest-rank sample of the sorted values', () => {
    const samples = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 90)).toBe(9);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 100)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(samples[0]).toBe(9); // the input is left unsorted
  });

  test('p99 of a hundred samples is the 99th smallest, so one outlier does not set it', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    samples[99] = 10_000;
    expect(percentile(samples, 99)).toBe(99);
  });

  test('percentiles of nothing are NaN, and p outside 0..100 is refused', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  test('a summary gives count, mean, p50, p90, p99 and max', () => {
    expect(summarize([4, 2, 6, 8])).toEqual({ count: 4, mean: 5, p50: 4, p90: 8, p99: 8, max: 8 });
    expect(summarize([]).count).toBe(0);
  });

  test('the least-squares slope of points on a line is that line', () => {
    const fit = leastSquares([1_000, 2_000, 5_000, 10_000].map((x) => ({ x, y: 200 + 0.25 * x })));
    expect(fit.slope).toBeCloseTo(0.25, 10);
    expect(fit.intercept).toBeCloseTo(200, 8);
    expect(fit.r2).toBeCloseTo(1, 10);
  });

  test('noise around a line leaves the slope near it and r² below one', () => {
    const noise = [3, -2, 4, -5, 1, -1];
    const fit = leastSquares(noise.map((n, i) => ({ x: i * 1_000, y: 300 + 0.1 * i * 1_000 + n })));
    expect(fit.slope).toBeGreaterThan(0.099);
    expect(fit.slope).toBeLessThan(0.101);
    expect(fit.r2).toBeLessThan(1);
    expect(fit.r2).toBeGreaterThan(0.99);
  });

  test('a slope needs two distinct x values', () => {
    expect(() => leastSquares([{ x: 1, y: 1 }])).toThrow(RangeError);
    expect(() =>
      leastSquares([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toThrow(RangeError);
  });

  test('a ratio against a zero or missing baseline is NaN, and NaN never meets a target', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(3, Number.NaN)).toBeNaN();
    expect(atLeast('r >= 0.7', Number.NaN, 0.7).met).toBe(false);
    expect(atMost('r <= 1.3', Number.NaN, 1.3).met).toBe(false);
  });

  test('targets are met on their bound and missed beyond it', () => {
    expect(atLeast('r >= 0.7', 0.7, 0.7).met).toBe(true);
    expect(atLeast('r >= 0.7', 0.69, 0.7).met).toBe(false);
    expect(atMost('p99 <= 25 ms', 25, 25).met).toBe(true);
    expect(atMost('p99 <= 25 ms', 25.1, 25).met).toBe(false);
  });

  test('numbers are shown with about three significant digits', () => {
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(1.2345)).toBe('1.23');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(Number.NaN)).toBe('n/a');
  });

  test('a table pads every column to its widest cell under a rule', () => {
    expect(
      formatTable(
        ['a', 'bb'],
        [
          ['ccc', 'd'],
          ['e', 'ffff'],
        ],
      ).split('\n'),
    ).toEqual(['a   | bb', '----|-----', 'ccc | d', 'e   | ffff']);
  });

  test('the figure table says met or missed, which target was missed, and - where there is no target', () => {
    const row = (checks: FigureRow['checks']): FigureRow => ({
      id: 'x',
      figure: 'contact attempt p99',
      unit: 'ms',
      value: 30,
      baselineLabel: 'no-op update',
      baseline: 20,
      ratio: 1.5,
      checks,
    });
    const met = row([atMost('ratio <= 2', 1.5, 2)]);
    const missed = row([atMost('ratio <= 1.3', 1.5, 1.3), atMost('p99 <= 25 ms', 30, 25)]);
    expect(targetMet(met)).toBe(true);
    expect(targetMet(missed)).toBe(false);
    const lines = figureTable([met, missed, row([])]).split('\n');
    expect(lines[0]).toMatch(/^figure\s+\| value\s+\| baseline\s+\| ratio\s+\| target\s+\| result$/);
    expect(lines[2]).toContain('30.0 ms');
    expect(lines[2]).toContain('20.0 ms (no-op update)');
    expect(lines[2]).toContain('1.50x');
    expect(lines[2]).toMatch(/\| met$/);
    expect(lines[3]).toContain('ratio <= 1.3 and p99 <= 25 ms');
    expect(lines[3]).toMatch(/MISSED \(ratio <= 1\.3, p99 <= 25 ms\)$/);
    expect(lines[4]).toMatch(/\| \(none\)\s+\| -$/); // a figure shown for information only
  });
});

describe('parseLevels', () => {
  test('reads a list of levels, ascending and without repeats', () => {
    expect(parseLevels('open', '100000, 10000,30000,10000', 1_000)).toEqual([10_000, 30_000, 100_000]);
    expect(parseLevels('open', '3000', 1_000)).toEqual([3_000]);
  });

  test.each(['', '500', '10000,abc', '2500.5', '10000,,20000'])('refuses %p, naming the flag', (text) => {
    expect(() => parseLevels('open', text, 1_000)).toThrow('--open must be whole numbers of at least 1000');
  });
});
