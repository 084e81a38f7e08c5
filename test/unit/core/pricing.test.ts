import { describe, expect, it } from 'vitest';
import { monthlyCostUsd, PRICES } from '../../../functions/core/pricing.ts';

describe('monthlyCostUsd (us-east-1 prices of 2026-11)', () => {
  it('is $0.01 per AZ-hour over 730 hours, plus $0.01 per GB processed', () => {
    expect(PRICES.asOf).toBe('2026-11');
    expect(monthlyCostUsd(1)).toBe(7.3);
    expect(monthlyCostUsd(3)).toBe(21.9);
    expect(monthlyCostUsd(2, 100)).toBe(15.6);
    expect(monthlyCostUsd(0)).toBe(0);
  });
});
