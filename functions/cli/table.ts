import { printable } from './printable.ts';

/**
 * How a table fits a terminal: the `elastic` columns (free text such as names and reasons, never ids or states,
 * which people copy) are cut, in order and with `…`, until each line is at most `width` wide, but never below
 * their header's width.
 */
export interface Fit {
  width: number;
  elastic: number[];
}

const GAP = '  ';

/** A plain text table: columns padded to the widest cell, `-` for unknown values, control characters shown as �. */
export function table(headers: string[], rows: Array<Array<string | null | undefined>>, fit?: Fit): string[] {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : printable(cell))),
  );
  const natural = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column]?.length ?? 0)),
  );
  const widths = fit ? fitted(natural, headers, fit) : natural;
  const cut = (cell: string, column: number) => {
    const width = widths[column] ?? cell.length;
    return cell.length > width ? `${cell.slice(0, width - 1)}…` : cell;
  };
  const line = (row: string[]) =>
    row
      .map((cell, column) => cut(cell, column).padEnd(widths[column] ?? 0))
      .join(GAP)
      .trimEnd();
  return [line(headers), ...cells.map(line)];
}

function fitted(natural: number[], headers: string[], fit: Fit): number[] {
  const widths = [...natural];
  let excess = widths.reduce((sum, width) => sum + width, 0) + GAP.length * (widths.length - 1) - fit.width;
  for (const column of fit.elastic) {
    if (excess <= 0) break;
    const width = widths[column] ?? 0;
    const cut = Math.min(excess, width - (headers[column]?.length ?? 0));
    if (cut <= 0) continue;
    widths[column] = width - cut;
    excess -= cut;
  }
  return widths;
}
