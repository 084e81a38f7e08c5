import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { describe, expect, it } from 'vitest';
import { ServiceQuotasAdapter } from '../../../../functions/adapters/aws/service-quotas.ts';
import { AwsError } from '../../../../functions/core/errors.ts';
import { type RecordedCall, serviceError, stubClient } from './sdk-stub.ts';

function adapter(respond: (call: RecordedCall) => unknown) {
  const client = new ServiceQuotasClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const calls = stubClient(client, respond);
  return { quotas: new ServiceQuotasAdapter(client), calls };
}

const QUOTA = { ServiceCode: 'vpc', QuotaCode: 'L-29B6F2EB' };

describe('ServiceQuotasAdapter (moto answers GetServiceQuota only; the rest is stubbed)', () => {
  it('reads the quota applied to the account', async () => {
    const { quotas, calls } = adapter(() => ({ Quota: { ...QUOTA, Value: 80 } }));
    expect(await quotas.interfaceEndpointsPerVpc()).toBe(80);
    expect(calls).toEqual([{ command: 'GetServiceQuotaCommand', input: QUOTA }]);
  });

  it('falls back to the AWS default when no value was ever applied (NoSuchResourceException)', async () => {
    const { quotas, calls } = adapter((call) => {
      if (call.command === 'GetServiceQuotaCommand') throw serviceError('NoSuchResourceException', 'none');
      return { Quota: { ...QUOTA, Value: 50 } };
    });
    expect(await quotas.interfaceEndpointsPerVpc()).toBe(50);
    expect(calls.map((call) => call.command)).toEqual([
      'GetServiceQuotaCommand',
      'GetAWSDefaultServiceQuotaCommand',
    ]);
  });

  it("turns a denial into an AwsError with AWS's code (the check then assumes 50 and warns)", async () => {
    const { quotas } = adapter(() => {
      throw serviceError('AccessDeniedException', 'not authorized to perform servicequotas:GetServiceQuota');
    });
    const error = await quotas.interfaceEndpointsPerVpc().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({ awsCode: 'AccessDeniedException' });
  });
});
