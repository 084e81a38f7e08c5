/**
 * What an idle interface endpoint costs, for `status` to put a price on orphans. AWS's published PrivateLink
 * prices for us-east-1 (N. Virginia), read 2026-11 from https://aws.amazon.com/privatelink/pricing/ :
 * an interface endpoint is billed per AZ it has a network interface in, per hour, plus data processed.
 * Other regions differ by a few percent; this is an estimate for deciding, not a bill. When AWS changes the
 * prices, change them here with the new date.
 */
export const PRICES = {
  asOf: '2026-11',
  region: 'us-east-1',
  source: 'https://aws.amazon.com/privatelink/pricing/',
  /** USD per interface endpoint per AZ per hour. */
  endpointPerAzHour: 0.01,
  /** USD per GB processed, first PB per month per region. */
  dataProcessedPerGb: 0.01,
} as const;

/** AWS's own convention for monthly estimates (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/**
 * The monthly cost of an endpoint in `azCount` AZs that processes `gbPerMonth` (an orphan processes next to
 * nothing: its cluster is gone), in USD rounded to cents.
 */
export function monthlyCostUsd(azCount: number, gbPerMonth = 0): number {
  const hours = azCount * PRICES.endpointPerAzHour * HOURS_PER_MONTH;
  return Math.round((hours + gbPerMonth * PRICES.dataProcessedPerGb) * 100) / 100;
}
