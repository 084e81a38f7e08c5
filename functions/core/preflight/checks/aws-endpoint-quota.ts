import { settleBefore } from '../../diagnose/deadline.ts';
import { DEFAULT_INTERFACE_ENDPOINT_QUOTA, endpointQuotaExhausted } from '../../remediation.ts';
import { messageOf, type PreflightCheck } from './types.ts';

/** Endpoints that no longer count against the quota. */
const GONE = new Set(['deleting', 'deleted', 'rejected', 'failed', 'expired']);

/**
 * Room for one more interface endpoint per cluster: the account's quota (Service Quotas L-29B6F2EB, default
 * 50) minus the interface endpoints already in the VPC. Without Service Quotas access it assumes the default.
 */
export const awsEndpointQuota: PreflightCheck = {
  id: 'aws.endpoint-quota',
  dependsOn: [{ id: 'aws.vpc', reason: 'Skipped: the VPC could not be read.' }],
  async run({ ports, settings, signal, optionalSignal }) {
    const { vpcId } = settings;
    const [quota, endpoints] = await Promise.all([
      // Raced against its own, earlier deadline: a Service Quotas that never answers costs only the figure.
      settleBefore(ports.quotas.interfaceEndpointsPerVpc({ signal: optionalSignal }), optionalSignal).then(
        (settled) =>
          settled.ok
            ? { value: settled.value, known: true, problem: undefined }
            : {
                value: DEFAULT_INTERFACE_ENDPOINT_QUOTA,
                known: false,
                problem: settled.aborted ? 'no answer before the deadline' : messageOf(settled.error),
              },
      ),
      ports.ec2.findEndpoints({ vpcId }, { signal }),
    ]);
    const used = endpoints.filter((endpoint) => !GONE.has(endpoint.state)).length;
    const left = quota.value - used;
    const evidence = { vpcId, quota: quota.value, quotaKnown: quota.known, used, left };
    if (left <= 0) {
      return {
        status: 'fail',
        summary: `${vpcId} has no room for another interface endpoint (${used} of ${quota.value}).`,
        evidence,
        remediation: endpointQuotaExhausted(vpcId, used, quota.value),
      };
    }
    const room = `${left} more interface endpoints fit in ${vpcId} (${used} of ${quota.value} in use)`;
    if (!quota.known) {
      return {
        status: 'warn',
        summary: `${room}, assuming the default quota: Service Quotas did not answer (${quota.problem}).`,
        evidence,
      };
    }
    return { status: 'pass', summary: `${room}.`, evidence };
  },
};
