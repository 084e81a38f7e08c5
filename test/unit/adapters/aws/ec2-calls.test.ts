/**
 * The EC2 adapter's one paginate helper and its halves used alone: a caller that needs only the network reads
 * (or only the endpoint side) builds only that half over the same client.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { ec2Call, ec2Pages } from '../../../../functions/adapters/aws/ec2-calls.ts';
import { Ec2Endpoints } from '../../../../functions/adapters/aws/ec2-endpoints.ts';
import { Ec2NetworkReads } from '../../../../functions/adapters/aws/ec2-network.ts';
import { AwsError } from '../../../../functions/core/errors.ts';
import type { EndpointReadsPort, NetworkReadsPort } from '../../../../functions/core/ports.ts';
import { serviceError, stubClient } from './sdk-stub.ts';

async function* pagesOf<T>(pages: T[]): AsyncIterable<T> {
  for (const page of pages) yield page;
}

function client(respond: Parameters<typeof stubClient>[1]) {
  const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  return { ec2, calls: stubClient(ec2, respond) };
}

describe('ec2Pages', () => {
  it('maps every page and keeps their order', async () => {
    const items = await ec2Pages(
      'DescribeThings',
      undefined,
      () => pagesOf([{ Things: [1, 2] }, { Things: [] }, { Things: [3] }]),
      (page) => page.Things.map((thing) => `thing-${thing}`),
    );
    expect(items).toEqual(['thing-1', 'thing-2', 'thing-3']);
  });

  it('hands the caller’s signal to the paginator', async () => {
    const controller = new AbortController();
    const seen: Array<AbortSignal | undefined> = [];
    await ec2Pages(
      'DescribeThings',
      { signal: controller.signal },
      (abortSignal) => {
        seen.push(abortSignal);
        return pagesOf([]);
      },
      () => [],
    );
    expect(seen).toEqual([controller.signal]);
  });

  it('turns a failure on a later page into an AwsError with AWS’s code', async () => {
    async function* failing() {
      yield { Things: [1] };
      throw serviceError('RequestLimitExceeded', 'Request limit exceeded.');
    }
    const error = await ec2Pages('DescribeThings', undefined, failing, (page) => page.Things).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).awsCode).toBe('RequestLimitExceeded');
  });

  it('ec2Call names the operation when the failure has no code of its own', async () => {
    const error = await ec2Call('DescribeThings', undefined, async () => {
      throw 'socket closed';
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).message).toBe('DescribeThings failed: socket closed');
  });
});

describe('the EC2 adapter halves', () => {
  it('reads the network alone', async () => {
    const { ec2, calls } = client(() => ({
      Subnets: [
        { SubnetId: 'subnet-1', VpcId: 'vpc-1', AvailabilityZone: 'us-east-1a', CidrBlock: '10.0.0.0/24' },
      ],
    }));
    const network: NetworkReadsPort = new Ec2NetworkReads(ec2);
    await expect(network.describeSubnets(['subnet-1'])).resolves.toEqual([
      {
        subnetId: 'subnet-1',
        vpcId: 'vpc-1',
        availabilityZone: 'us-east-1a',
        availabilityZoneId: '',
        cidrBlock: '10.0.0.0/24',
      },
    ]);
    expect(calls.map((call) => call.command)).toEqual(['DescribeSubnetsCommand']);
  });

  it('reads endpoints alone', async () => {
    const { ec2, calls } = client(() => ({
      VpcEndpoints: [{ VpcEndpointId: 'vpce-1', VpcId: 'vpc-1', State: 'available' }],
    }));
    const endpoints: EndpointReadsPort = new Ec2Endpoints(ec2);
    const found = await endpoints.findEndpoints({ vpcId: 'vpc-1' });
    expect(found.map((endpoint) => [endpoint.vpcEndpointId, endpoint.state])).toEqual([
      ['vpce-1', 'available'],
    ]);
    expect(calls[0]?.input.Filters).toEqual([
      { Name: 'vpc-endpoint-type', Values: ['Interface'] },
      { Name: 'vpc-id', Values: ['vpc-1'] },
    ]);
  });
});
