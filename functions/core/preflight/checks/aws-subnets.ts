import type { Subnet } from '../../model.ts';
import { addSubnetInAnotherZone, subnetsNotInVpc } from '../../remediation.ts';
import type { PreflightContext } from '../context.ts';
import { isNotFound, type PreflightCheck } from './types.ts';

/** EC2 fails the whole call when one id is unknown: then ask one by one, to name the unknown ones. */
async function readSubnets({ ports, settings, signal }: PreflightContext): Promise<Subnet[]> {
  try {
    return await ports.ec2.describeSubnets(settings.subnetIds, { signal });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    const found = await Promise.all(
      settings.subnetIds.map((id) =>
        ports.ec2.describeSubnets([id], { signal }).catch((inner: unknown) => {
          if (isNotFound(inner)) return [];
          throw inner;
        }),
      ),
    );
    return found.flat();
  }
}

/** The endpoint subnets exist, are in the VPC, and span more than one AZ ID. */
export const awsSubnets: PreflightCheck = {
  id: 'aws.subnets',
  dependsOn: [{ id: 'aws.vpc', reason: 'Skipped: the VPC could not be read.' }],
  async run(context) {
    const { vpcId, region, subnetIds } = context.settings;
    const subnets = await readSubnets(context);
    // In the configured order: EC2 answers in an order it does not promise.
    const position = (subnet: Subnet) => subnetIds.indexOf(subnet.subnetId);
    const inVpc = subnets
      .filter((subnet) => subnet.vpcId === vpcId)
      .sort((a, b) => position(a) - position(b));
    const wrong = subnetIds.filter((id) => !inVpc.some((subnet) => subnet.subnetId === id));
    const zones = Object.fromEntries(inVpc.map((subnet) => [subnet.subnetId, subnet.availabilityZoneId]));
    const evidence = { vpcId, zoneIdBySubnet: zones, notInVpc: wrong };
    if (wrong.length > 0) {
      return {
        status: 'fail',
        summary: `${wrong.join(', ')} ${wrong.length === 1 ? 'is' : 'are'} not a subnet of ${vpcId}.`,
        evidence,
        remediation: subnetsNotInVpc(vpcId, region),
      };
    }
    const zoneIds = [...new Set(Object.values(zones))].sort();
    const listing = inVpc.map((subnet) => `${subnet.subnetId} in ${subnet.availabilityZoneId}`).join(', ');
    if (zoneIds.length === 1) {
      return {
        status: 'warn',
        summary: `Every endpoint subnet is in one availability zone: ${listing}.`,
        evidence,
        remediation: addSubnetInAnotherZone(vpcId, zoneIds[0] ?? ''),
      };
    }
    return { status: 'pass', summary: `Endpoint subnets: ${listing}.`, evidence };
  },
};
