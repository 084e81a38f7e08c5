/** Small printing and statistics helpers shared by the benchmark sections. */

export type Cell = string | number;

/**
 * Prints a left-aligned first column and right-aligned figures, with a rule under the header;
 * `textColumns` lists further columns holding words rather than figures (left-aligned too).
 */
export function printTable(header: string[], rows: Cell[][], textColumns: number[] = []): void {
  const text = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...text.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 || textColumns.includes(column) ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of text.slice(1)) console.log(line(row));
}

export function section(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 100 - title.length))}`);
}

export function note(text: string): void {
  console.log(`   ${text}`);
}

/** Nearest-rank percentile: every figure printed is one that was actually observed. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');
export const seconds = (valueMs: number): string => `${(valueMs / 1000).toFixed(1)} s`;
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Wall time of `work` in milliseconds, with its result. */
export async function wall<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}
