/** Plain-text tables for the terminal: first column left-aligned, the rest right-aligned. */

export type Cell = string | number | null | undefined;

export function fmt(value: Cell): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '-';
  return value;
}

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], indent = '  '): string {
  const text = [headers, ...rows.map((r) => r.map(fmt))];
  const widths = headers.map((_, c) => Math.max(...text.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => indent + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(text[0]!), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...text.slice(1).map(line)].join('\n');
}
