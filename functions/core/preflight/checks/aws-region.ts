import { regionUnusable } from '../../remediation.ts';
import { messageOf, type PreflightCheck } from './types.ts';

/** The region answers, and lists the AZ IDs the endpoint subnets can be in. */
export const awsRegion: PreflightCheck = {
  id: 'aws.region',
  dependsOn: [{ id: 'aws.credentials' }],
  async run({ ports, settings, signal }) {
    const { region } = settings;
    try {
      const zones = await ports.ec2.describeAvailabilityZones({ signal });
      const zoneIds = zones.map((zone) => zone.zoneId).sort();
      return {
        status: 'pass',
        summary: `Region ${region} has ${zoneIds.length} availability zones (${zoneIds.join(', ')}).`,
        evidence: { region, zoneIds },
      };
    } catch (error) {
      return {
        status: 'fail',
        summary: `EC2 in ${region} did not answer.`,
        remediation: regionUnusable(region, messageOf(error)),
      };
    }
  },
};
