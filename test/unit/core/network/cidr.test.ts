import { describe, expect, it } from 'vitest';
import {
  formatIp,
  intersect,
  isPublicIp,
  parseCidr,
  parseIp,
  rangeContains,
  sameIp,
  toCidrs,
  uncovered,
} from '../../../../functions/core/network/cidr.ts';

const range = (cidr: string) => {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`bad fixture ${cidr}`);
  return parsed;
};

describe('parseIp', () => {
  it('parses IPv4 and rejects out-of-range octets', () => {
    expect(parseIp('10.0.1.5')).toEqual({ family: 4, value: 0x0a000105n });
    expect(parseIp('256.0.0.1')).toBeUndefined();
    expect(parseIp('10.0.1')).toBeUndefined();
  });

  it('parses compressed IPv6, embedded IPv4, and rejects two "::"', () => {
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('fd00::1:2')?.value).toBe((0xfd00n << 112n) | (1n << 16n) | 2n);
    expect(parseIp('::ffff:10.0.0.1')?.value).toBe((0xffffn << 32n) | 0x0a000001n);
    expect(parseIp('1::2::3')).toBeUndefined();
    expect(parseIp('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });

  it('compares addresses by value, not spelling', () => {
    expect(sameIp('fd00:0:0::1', 'FD00::1')).toBe(true);
    expect(sameIp('10.0.0.1', '10.0.0.2')).toBe(false);
  });
});

describe('parseCidr', () => {
  it('masks host bits and treats a bare address as a single host', () => {
    expect(range('10.0.1.7/24')).toEqual(range('10.0.1.0/24'));
    expect(range('10.0.1.7')).toEqual({ family: 4, first: 0x0a000107n, last: 0x0a000107n });
    expect(range('::/0').last).toBe((1n << 128n) - 1n);
  });

  it('rejects prefixes beyond the family and junk', () => {
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('fd00::/129')).toBeUndefined();
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
    expect(parseCidr('10.0.0.0/8/1')).toBeUndefined();
  });
});

describe('containment and coverage', () => {
  it('contains within a family only', () => {
    expect(rangeContains(range('10.0.0.0/16'), range('10.0.5.0/24'))).toBe(true);
    expect(rangeContains(range('10.0.5.0/24'), range('10.0.0.0/16'))).toBe(false);
    expect(rangeContains(range('::/0'), range('10.0.0.0/8'))).toBe(false);
    expect(intersect(range('10.0.0.0/8'), range('fd00::/8'))).toBeUndefined();
  });

  it('finds what a union of ranges leaves uncovered', () => {
    const halves = [range('10.0.0.0/17'), range('10.0.128.0/17')];
    expect(uncovered(range('10.0.0.0/16'), halves)).toEqual([]);
    const gaps = uncovered(range('10.0.0.0/16'), [range('10.0.0.0/17')]);
    expect(gaps.flatMap(toCidrs)).toEqual(['10.0.128.0/17']);
  });

  it('turns an unaligned range into the fewest CIDRs', () => {
    expect(toCidrs({ family: 4, first: 0x0a000001n, last: 0x0a000004n })).toEqual([
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/32',
    ]);
    expect(toCidrs(range('fd00::/64'))).toEqual(['fd00::/64']);
  });

  it('formats IPv6 with the longest zero run compressed', () => {
    expect(formatIp({ family: 6, value: (0xfd00n << 112n) | 1n })).toBe('fd00::1');
    expect(formatIp({ family: 6, value: 1n })).toBe('::1');
  });
});

describe('isPublicIp', () => {
  it.each([
    ['52.1.2.3', true],
    ['2600:1f18::1', true],
    ['10.0.1.5', false],
    ['172.31.0.9', false],
    ['192.168.1.1', false],
    ['127.0.0.11', false],
    ['fd12::5', false],
    ['::1', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicIp(address)).toBe(expected);
  });
});
