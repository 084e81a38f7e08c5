/**
 * `QuotaPort` on Service Quotas. GetServiceQuota returns the value applied to this account; for a quota
 * never changed AWS may answer NoSuchResourceException, and then the AWS default is the value.
 */
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { AwsError } from '../../core/errors.ts';
import type { CallOptions } from '../../core/ports.ts';
import type { QuotaPort } from '../../core/preflight/ports.ts';
import { toAwsError } from './clients.ts';

const INTERFACE_ENDPOINTS_PER_VPC = { ServiceCode: 'vpc', QuotaCode: 'L-29B6F2EB' };

export class ServiceQuotasAdapter implements QuotaPort {
  constructor(private readonly client: ServiceQuotasClient) {}

  async interfaceEndpointsPerVpc(options?: CallOptions): Promise<number> {
    const abortSignal = options?.signal;
    try {
      const applied = await this.client.send(new GetServiceQuotaCommand(INTERFACE_ENDPOINTS_PER_VPC), {
        abortSignal,
      });
      return quotaValue(applied.Quota?.Value);
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'NoSuchResourceException') {
        throw toAwsError(error, 'GetServiceQuota');
      }
    }
    try {
      const defaults = await this.client.send(
        new GetAWSDefaultServiceQuotaCommand(INTERFACE_ENDPOINTS_PER_VPC),
        { abortSignal },
      );
      return quotaValue(defaults.Quota?.Value);
    } catch (error) {
      throw toAwsError(error, 'GetAWSDefaultServiceQuota');
    }
  }
}

function quotaValue(value: number | undefined): number {
  if (typeof value !== 'number')
    throw new AwsError('NoValue', 'Service Quotas returned no value for L-29B6F2EB');
  return value;
}
