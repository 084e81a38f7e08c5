import type { AvailabilityZone } from '../../model.ts';
import { coverMissingZones, moveToSupportedZones } from '../../remediation.ts';
import { type DiagnoseContext, ENDPOINT_EXISTS, endpointOf, need } from '../context.ts';
import type { Observed } from '../observation.ts';
import type { Check, CheckOutcome } from '../runner.ts';

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item) => b.includes(item));

/** AZ names differ between accounts, IDs do not: everything is compared by ID. */
function zoneIds(zones: readonly AvailabilityZone[]) {
  const idByName = new Map(zones.map((zone) => [zone.zoneName, zone.zoneId]));
  const nameById = new Map(zones.map((zone) => [zone.zoneId, zone.zoneName]));
  return {
    toId: (zone: string) => idByName.get(zone) ?? zone,
    label: (id: string) => (nameById.has(id) ? `${id} (${nameById.get(id)})` : id),
  };
}

/** The two views of where the service runs, as AZ IDs, and what to say when they differ. */
function zoneViews(
  zones: Observed<readonly AvailabilityZone[]>,
  serviceZones: Observed<string[]> | undefined,
  target: DiagnoseContext['target'],
) {
  const { toId, label } = zoneIds(need(zones, 'the availability zones'));
  // TiDB's availableZones are AZ IDs: never read them through this account's names.
  const fromTidb = [...(target.service?.availableZones ?? [])];
  // EC2 answers in this account's names; its view is the customer-side truth, TiDB's the cross-check.
  const fromEc2 = serviceZones?.ok ? serviceZones.value.map(toId) : undefined;
  const disagree = fromEc2 !== undefined && !sameSet(fromEc2, fromTidb);
  const list = (ids: readonly string[]) => (ids.length > 0 ? ids.map(label).join(', ') : 'no AZ');
  return {
    label,
    supported: fromEc2 ?? fromTidb,
    fromEc2,
    fromTidb,
    disagreement: disagree
      ? ` TiDB Cloud lists ${list(fromTidb)} but EC2 offers the service in ${list(fromEc2)}; EC2's list is used.`
      : '',
  };
}

export const awsAzCoverage: Check<DiagnoseContext> = {
  id: 'aws.az-coverage',
  dependsOn: [ENDPOINT_EXISTS],
  async run({ observation, target }): Promise<CheckOutcome> {
    const endpoint = endpointOf(target);
    const [observedSubnets, zones, serviceZones] = await Promise.all([
      observation.subnets,
      observation.zones,
      observation.serviceZones,
    ]);
    const subnets = need(observedSubnets, `the subnets of ${endpoint.vpcEndpointId}`);
    const { label, supported, fromEc2, fromTidb, disagreement } = zoneViews(zones, serviceZones, target);
    const evidence = {
      endpointSubnets: Object.fromEntries(
        subnets.map((subnet) => [subnet.subnetId, subnet.availabilityZoneId]),
      ),
      supportedZones: supported,
      supportedBy: fromEc2 ? 'ec2:DescribeVpcEndpointServices' : 'TiDB Cloud availableZones',
      tidbAvailableZones: fromTidb,
      ...(fromEc2 ? { ec2ServiceZones: fromEc2 } : {}),
      zoneListsDisagree: disagreement !== '',
      ...(serviceZones && !serviceZones.ok ? { ec2Error: serviceZones.error.message } : {}),
    };
    const supportedText = supported.map(label).join(', ');
    const unsupported = subnets.filter((subnet) => !supported.includes(subnet.availabilityZoneId));
    if (subnets.length === 0 || unsupported.length > 0) {
      const which = unsupported.map((subnet) => `${subnet.subnetId} (${label(subnet.availabilityZoneId)})`);
      return {
        status: 'fail',
        summary:
          (subnets.length === 0
            ? `${endpoint.vpcEndpointId} has no subnets.`
            : `Endpoint subnets in AZs the service does not support: ${which.join(', ')}; supported: ${supportedText}.`) +
          disagreement,
        evidence,
        remediation: moveToSupportedZones(
          endpoint.vpcEndpointId,
          unsupported.map((subnet) => subnet.subnetId),
          supported.map(label),
        ),
      };
    }
    const covered = new Set(subnets.map((subnet) => subnet.availabilityZoneId));
    const uncovered = supported.filter((zone) => !covered.has(zone));
    if (uncovered.length > 0) {
      return {
        status: 'warn',
        summary: `The endpoint leaves supported AZs uncovered: ${uncovered.map(label).join(', ')}.${disagreement}`,
        evidence,
        remediation: coverMissingZones(endpoint.vpcEndpointId, uncovered.map(label)),
      };
    }
    const summary = `Endpoint subnets cover every supported AZ: ${supportedText}.${disagreement}`;
    // Covered by EC2's list, but TiDB Cloud sees the service elsewhere: one of the two views is stale.
    return { status: disagreement ? 'warn' : 'pass', summary, evidence };
  },
};
