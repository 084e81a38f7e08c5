import { printable } from './printable.ts';

/** A plain text table: columns padded to the widest cell, `-` for unknown values, control characters shown as �. */
export function table(headers: string[], rows: Array<Array<string | null | undefined>>): string[] {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : printable(cell))),
  );
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column]?.length ?? 0)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)];
}
