import type { AvailabilityZone, Subnet } from '../model.ts';
import type { SkippedSubnet } from './types.ts';

/** AZ IDs look like `use1-az1`; names like `us-east-1a`. TiDB's list may hold either. */
export const AZ_ID = /^[a-z]{2,4}\d+-az\d+$/;

/**
 * Turns zone references (IDs or this account's names) into AZ IDs. Names differ between accounts, so only
 * names from *this* account's EC2 answers may be mapped; unknown names are dropped.
 */
export function toZoneIds(zones: string[], accountZones: AvailabilityZone[]): string[] {
  const idByName = new Map(accountZones.map((zone) => [zone.zoneName, zone.zoneId]));
  const ids = zones.map((zone) => (AZ_ID.test(zone) ? zone : idByName.get(zone)));
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

export interface SubnetChoice {
  chosen: Subnet[];
  skipped: SkippedSubnet[];
}

const byId = (a: { subnetId: string }, b: { subnetId: string }) =>
  a.subnetId < b.subnetId ? -1 : a.subnetId > b.subnetId ? 1 : 0;

/**
 * Keeps the configured subnets whose AZ **ID** the service supports, one per AZ (AWS allows one endpoint
 * subnet per AZ), and says why each other subnet was skipped. EC2 lists subnets in no promised order, so
 * the choice never depends on it: within an AZ the `preferred` subnet wins (one the endpoint already has),
 * else the lowest id; both lists come back sorted by id, as the create request sends them (its ClientToken
 * must mean the same request in every run).
 */
export function selectSubnets(
  subnets: Subnet[],
  supportedZoneIds: string[],
  preferred: (subnet: Subnet) => boolean = () => false,
): SubnetChoice {
  const supported = new Set(supportedZoneIds);
  const usedZones = new Set<string>();
  const chosen: Subnet[] = [];
  const skipped: SkippedSubnet[] = [];
  const ordered = [...subnets].sort((a, b) => Number(preferred(b)) - Number(preferred(a)) || byId(a, b));
  for (const subnet of ordered) {
    const reason = !supported.has(subnet.availabilityZoneId)
      ? `the endpoint service is not offered in ${subnet.availabilityZoneId}`
      : usedZones.has(subnet.availabilityZoneId)
        ? `another subnet already covers ${subnet.availabilityZoneId}`
        : undefined;
    if (reason) {
      skipped.push({
        subnetId: subnet.subnetId,
        availabilityZone: subnet.availabilityZone,
        availabilityZoneId: subnet.availabilityZoneId,
        reason,
      });
      continue;
    }
    usedZones.add(subnet.availabilityZoneId);
    chosen.push(subnet);
  }
  return { chosen: chosen.sort(byId), skipped: skipped.sort(byId) };
}
