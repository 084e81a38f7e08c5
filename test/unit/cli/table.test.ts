import { describe, expect, it } from 'vitest';
import { table } from '../../../functions/cli/table.ts';

describe('table', () => {
  const rows = [
    ['1379661944646413143', 'a-rather-long-display-name-for-orders', 'ACTIVE'],
    ['1379661944646413144', 'short', null],
  ];

  it('pads every column to its widest cell and shows unknown values as -', () => {
    expect(table(['ID', 'NAME', 'STATE'], rows)).toEqual([
      'ID                   NAME                                   STATE',
      '1379661944646413143  a-rather-long-display-name-for-orders  ACTIVE',
      '1379661944646413144  short                                  -',
    ]);
  });

  it('cuts only the elastic column, with …, so each line fits the width', () => {
    const lines = table(['ID', 'NAME', 'STATE'], rows, { width: 40, elastic: [1] });
    expect(lines).toEqual([
      'ID                   NAME         STATE',
      '1379661944646413143  a-rather-l…  ACTIVE',
      '1379661944646413144  short        -',
    ]);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(40);
  });

  it('leaves a table that already fits as it is', () => {
    expect(table(['ID', 'NAME', 'STATE'], rows, { width: 200, elastic: [1] })).toEqual(
      table(['ID', 'NAME', 'STATE'], rows),
    );
  });

  it('never cuts an elastic column below its header, nor any other column', () => {
    const lines = table(['ID', 'NAME', 'STATE'], rows, { width: 10, elastic: [1] });
    expect(lines[1]).toBe('1379661944646413143  a-r…  ACTIVE');
  });
});
