/** Percentiles and rounding for reported figures (nearest-rank, no interpolation). */

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length === 0 ? NaN : sorted[sorted.length - 1]!),
    mean: round(sorted.length === 0 ? NaN : sum / sorted.length),
  };
}

/** Figures go into JSON: NaN and Infinity become null there, so callers see "not measured". */
export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return NaN;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** a / b, or NaN when either side was not measured. */
export function ratio(a: number, b: number, digits = 2): number {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, digits) : NaN;
}

/** Middle value (mean of the two middle ones for an even count) of the finite values. */
export function median(values: readonly number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
