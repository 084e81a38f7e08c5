import type { AvailabilityZone } from '../../model.ts';
import { coverMissingZones, moveToSupportedZones } from '../../remediation.ts';
import { type DiagnoseContext, ENDPOINT_EXISTS, endpointOf, need } from '../context.ts';
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

export const awsAzCoverage: Check<DiagnoseContext> = {
  id: 'aws.az-coverage',
  dependsOn: [ENDPOINT_EXISTS],
  run({ observation, target }): CheckOutcome {
    const endpoint = endpointOf(target);
    const subnets = need(observation.subnets, `the subnets of ${endpoint.vpcEndpointId}`);
    const { toId, label } = zoneIds(need(observation.zones, 'the availability zones'));
    const fromTidb = (target.service?.availableZones ?? []).map(toId);
    // EC2's view of the service, in this account's naming, is the truth; TiDB's list is the cross-check.
    const fromEc2 = observation.serviceZones?.ok ? observation.serviceZones.value.map(toId) : undefined;
    const supported = fromEc2 ?? fromTidb;
    const evidence = {
      endpointSubnets: Object.fromEntries(
        subnets.map((subnet) => [subnet.subnetId, subnet.availabilityZoneId]),
      ),
      supportedZones: supported,
      supportedBy: fromEc2 ? 'ec2:DescribeVpcEndpointServices' : 'TiDB Cloud availableZones',
      tidbAvailableZones: fromTidb,
      ...(fromEc2 && !sameSet(fromEc2, fromTidb)
        ? {
            crossCheck: `TiDB Cloud lists ${fromTidb.join(', ')} but EC2 offers the service in ${fromEc2.join(', ')}; EC2 is used.`,
          }
        : {}),
      ...(observation.serviceZones && !observation.serviceZones.ok
        ? { ec2Error: observation.serviceZones.error.message }
        : {}),
    };
    const supportedText = supported.map(label).join(', ');
    const unsupported = subnets.filter((subnet) => !supported.includes(subnet.availabilityZoneId));
    if (subnets.length === 0 || unsupported.length > 0) {
      const which = unsupported.map((subnet) => `${subnet.subnetId} (${label(subnet.availabilityZoneId)})`);
      return {
        status: 'fail',
        summary:
          subnets.length === 0
            ? `${endpoint.vpcEndpointId} has no subnets.`
            : `Endpoint subnets in AZs the service does not support: ${which.join(', ')}; supported: ${supportedText}.`,
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
        summary: `The endpoint leaves supported AZs uncovered: ${uncovered.map(label).join(', ')}.`,
        evidence,
        remediation: coverMissingZones(endpoint.vpcEndpointId, uncovered.map(label)),
      };
    }
    return {
      status: 'pass',
      summary: `Endpoint subnets cover every supported AZ: ${supportedText}.`,
      evidence,
    };
  },
};
