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

/**
 * Keeps the configured subnets whose AZ **ID** the service supports, one per AZ (AWS allows one endpoint
 * subnet per AZ), and says why each other subnet was skipped.
 */
export function selectSubnets(subnets: Subnet[], supportedZoneIds: string[]): SubnetChoice {
  const supported = new Set(supportedZoneIds);
  const usedZones = new Set<string>();
  const chosen: Subnet[] = [];
  const skipped: SkippedSubnet[] = [];
  for (const subnet of subnets) {
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
  return { chosen, skipped };
}
