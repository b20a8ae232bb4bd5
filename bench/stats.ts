/**
 * Pure measurement helpers of `npm run bench`: percentiles, a least-squares slope, target checks
 * and the table. No I/O and no clock, so they are unit-tested (test/unit/bench-stats.test.ts).
 */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const count = samples.length;
  const mean = count ? samples.reduce((s, v) => s + v, 0) / count : Number.NaN;
  return {
    count,
    mean,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    max: count ? Math.max(...samples) : Number.NaN,
  };
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination: 1 when every point is on the line. */
  r2: number;
}

/** Ordinary least squares y = slope·x + intercept; needs two distinct x values. */
export function leastSquares(points: readonly { x: number; y: number }[]): LinearFit {
  const n = points.length;
  if (n < 2) throw new RangeError('a slope needs at least two points');
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const { x, y } of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) throw new RangeError('a slope needs at least two distinct x values');
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** Ratio of a figure to its baseline; NaN when the baseline is zero or missing. */
export function ratio(value: number, baseline: number): number {
  return baseline > 0 && Number.isFinite(baseline) ? value / baseline : Number.NaN;
}

export interface Check {
  /** What the target says, e.g. `ratio >= 0.7` or `p99 <= 25 ms`. */
  label: string;
  met: boolean;
}

/** A check that `actual` is at least `bound` (NaN never meets it). */
export const atLeast = (label: string, actual: number, bound: number): Check => ({
  label,
  met: Number.isFinite(actual) && actual >= bound,
});
/** A check that `actual` is at most `bound` (NaN never meets it). */
export const atMost = (label: string, actual: number, bound: number): Check => ({
  label,
  met: Number.isFinite(actual) && actual <= bound,
});

export interface FigureRow {
  id: string;
  figure: string;
  unit: string;
  value: number;
  baselineLabel: string;
  baseline: number;
  ratio: number;
  checks: Check[];
  /** How the number was taken and what limits it. */
  note?: string;
}

export const targetMet = (row: Pick<FigureRow, 'checks'>): boolean => row.checks.every((c) => c.met);

/** A number for the table: three significant digits, or `n/a`. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const abs = Math.abs(v);
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  if (abs === 0) return '0';
  return v.toPrecision(3);
}

/** Plain-text table with a header rule; columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** The bench's table: figure, value, baseline, ratio, target and whether it was met. */
export function figureTable(rows: readonly FigureRow[]): string {
  return formatTable(
    ['figure', 'value', 'baseline', 'ratio', 'target', 'result'],
    rows.map((r) => [
      r.figure,
      `${formatNumber(r.value)} ${r.unit}`,
      `${formatNumber(r.baseline)} ${r.unit} (${r.baselineLabel})`,
      `${formatNumber(r.ratio)}x`,
      r.checks.length ? r.checks.map((c) => c.label).join(' and ') : '(none)',
      r.checks.length === 0
        ? '-'
        : targetMet(r)
          ? 'met'
          : `MISSED (${r.checks
              .filter((c) => !c.met)
              .map((c) => c.label)
              .join(', ')})`,
    ]),
  );
}

/**
 * A comma-separated list of levels (e.g. `--open 10000,100000`): whole numbers of at least `min`,
 * returned ascending without repeats. Throws on anything else, naming the flag.
 */
export function parseLevels(flag: string, text: string, min: number): number[] {
  const levels = text.split(',').map((part) => Number(part.trim()));
  if (levels.length === 0 || levels.some((v) => !Number.isInteger(v) || v < min)) {
    throw new Error(`--${flag} must be whole numbers of at least ${min}, separated by commas`);
  }
  return [...new Set(levels)].sort((a, b) => a - b);
}
