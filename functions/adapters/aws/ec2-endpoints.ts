/**
 * The endpoint side of EC2 on the AWS SDK v3: finding interface endpoints, creating, changing, tagging and
 * deleting them, and reading the endpoint services they connect to.
 */
import {
  CreateTagsCommand,
  CreateVpcEndpointCommand,
  DeleteTagsCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointServicesCommand,
  type DescribeVpcEndpointServicesCommandOutput,
  type EC2Client,
  type Filter,
  ModifyVpcEndpointCommand,
  paginateDescribeVpcEndpoints,
} from '@aws-sdk/client-ec2';
import { AwsError } from '../../core/errors.ts';
import type { VpcEndpoint } from '../../core/model.ts';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../core/model.ts';
import type {
  CallOptions,
  CreateEndpointInput,
  EndpointChangesPort,
  EndpointLifecyclePort,
  EndpointReadsPort,
  EndpointServiceDetails,
  EndpointServicesPort,
} from '../../core/ports.ts';
import { ec2Call, ec2Pages } from './ec2-calls.ts';
import { toSdkTags, toVpcEndpoint } from './ec2-mapping.ts';

const ENDPOINT_NOT_FOUND = 'InvalidVpcEndpointId.NotFound';

function isNotFound(error: unknown): boolean {
  return error instanceof AwsError && error.awsCode === ENDPOINT_NOT_FOUND;
}

export class Ec2Endpoints
  implements EndpointReadsPort, EndpointChangesPort, EndpointServicesPort, EndpointLifecyclePort
{
  readonly #client: EC2Client;

  constructor(client: EC2Client) {
    this.#client = client;
  }

  async listManagedEndpoints(
    tags: Record<string, string> = {},
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    const filters: Filter[] = [
      { Name: `tag:${MANAGED_BY_TAG}`, Values: [MANAGED_BY_VALUE] },
      ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    ];
    return this.#describeEndpoints(filters, undefined, options);
  }

  async findEndpoints(
    filter: { vpcId?: string; serviceName?: string; vpcEndpointIds?: string[] },
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    // Only interface endpoints can reach a TiDB service; a gateway endpoint in the same VPC is noise.
    const filters: Filter[] = [{ Name: 'vpc-endpoint-type', Values: ['Interface'] }];
    if (filter.vpcId) filters.push({ Name: 'vpc-id', Values: [filter.vpcId] });
    if (filter.serviceName) filters.push({ Name: 'service-name', Values: [filter.serviceName] });
    if (!filter.vpcEndpointIds) return this.#describeEndpoints(filters, undefined, options);
    if (filter.vpcEndpointIds.length === 0) return [];
    try {
      return await this.#describeEndpoints(filters, filter.vpcEndpointIds, options);
    } catch (error) {
      // EC2 fails the whole call when one ID is unknown; a find must report "not found" (an empty result the
      // checks explain) rather than abort the run, so look the IDs up one by one and drop the unknown ones.
      // (The `vpc-endpoint-id` filter would avoid this on AWS, but the sandbox does not implement it.)
      if (!isNotFound(error)) throw error;
      const found = await Promise.all(
        filter.vpcEndpointIds.map((id) =>
          this.#describeEndpoints(filters, [id], options).catch((inner: unknown) => {
            if (isNotFound(inner)) return [];
            throw inner;
          }),
        ),
      );
      return found.flat();
    }
  }

  async createInterfaceEndpoint(input: CreateEndpointInput, options?: CallOptions): Promise<VpcEndpoint> {
    const output = await ec2Call('CreateVpcEndpoint', options, (abortSignal) =>
      this.#client.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: input.vpcId,
          ServiceName: input.serviceName,
          SubnetIds: input.subnetIds,
          SecurityGroupIds: input.securityGroupIds,
          // Off at creation: AWS would default it on and fail, since TiDB has not accepted the endpoint yet.
          PrivateDnsEnabled: false,
          // TiDB's services are IPv4 only: pinned, so a dual-stack subnet never gets AAAA records nobody answers.
          IpAddressType: 'ipv4',
          DnsOptions: { DnsRecordIpType: 'ipv4' },
          ClientToken: input.clientToken,
          TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: toSdkTags(input.tags) }],
        }),
        { abortSignal },
      ),
    );
    if (!output.VpcEndpoint) throw new AwsError('EmptyResponse', 'CreateVpcEndpoint returned no endpoint');
    const endpoint = toVpcEndpoint(output.VpcEndpoint);
    // Not every implementation of the API echoes tags and groups in the create response (moto omits the
    // groups); both were applied with the endpoint or the call would have failed, so fill in what is missing.
    return {
      ...endpoint,
      tags: Object.keys(endpoint.tags).length > 0 ? endpoint.tags : { ...input.tags },
      securityGroupIds:
        endpoint.securityGroupIds.length > 0 ? endpoint.securityGroupIds : [...input.securityGroupIds],
    };
  }

  async enablePrivateDns(vpcEndpointId: string, options?: CallOptions): Promise<void> {
    await this.#modifyEndpoint(
      { VpcEndpointId: vpcEndpointId, PrivateDnsEnabled: true },
      `ModifyVpcEndpoint did not enable private DNS on ${vpcEndpointId}`,
      options,
    );
  }

  async modifyEndpointSubnets(
    vpcEndpointId: string,
    change: { addSubnetIds: string[]; removeSubnetIds: string[] },
    options?: CallOptions,
  ): Promise<void> {
    await this.#modifyEndpoint(
      {
        VpcEndpointId: vpcEndpointId,
        ...(change.addSubnetIds.length > 0 ? { AddSubnetIds: change.addSubnetIds } : {}),
        ...(change.removeSubnetIds.length > 0 ? { RemoveSubnetIds: change.removeSubnetIds } : {}),
      },
      `ModifyVpcEndpoint did not change the subnets of ${vpcEndpointId}`,
      options,
    );
  }

  async tagResource(resourceId: string, tags: Record<string, string>, options?: CallOptions): Promise<void> {
    if (Object.keys(tags).length === 0) return;
    await ec2Call('CreateTags', options, (abortSignal) =>
      this.#client.send(new CreateTagsCommand({ Resources: [resourceId], Tags: toSdkTags(tags) }), {
        abortSignal,
      }),
    );
  }

  async deleteTags(resourceId: string, keys: string[], options?: CallOptions): Promise<void> {
    if (keys.length === 0) return;
    await ec2Call('DeleteTags', options, (abortSignal) =>
      this.#client.send(
        // A tag given by key alone is deleted whatever its value.
        new DeleteTagsCommand({ Resources: [resourceId], Tags: keys.map((Key) => ({ Key })) }),
        { abortSignal },
      ),
    );
  }

  async deleteVpcEndpoints(vpcEndpointIds: string[], options?: CallOptions): Promise<void> {
    if (vpcEndpointIds.length === 0) return;
    const output = await ec2Call('DeleteVpcEndpoints', options, (abortSignal) =>
      this.#client.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: vpcEndpointIds }), { abortSignal }),
    ).catch((error: unknown) => {
      // Some implementations fail the whole call for an unknown id instead (moto does).
      if (isNotFound(error)) return { Unsuccessful: [] };
      throw error;
    });
    // EC2 answers 200 and lists per-endpoint refusals in `Unsuccessful`; an endpoint already gone is done.
    const refused = (output.Unsuccessful ?? []).filter((item) => item.Error?.Code !== ENDPOINT_NOT_FOUND);
    const [first] = refused;
    if (first) {
      throw new AwsError(
        first.Error?.Code ?? 'OperationNotPerformed',
        `DeleteVpcEndpoints refused ${first.ResourceId ?? 'an endpoint'}: ${first.Error?.Message ?? 'no message'}`,
      );
    }
  }

  async describeServiceZones(serviceName: string, options?: CallOptions): Promise<string[]> {
    return (await this.describeEndpointService(serviceName, options)).zoneNames;
  }

  async describeEndpointService(serviceName: string, options?: CallOptions): Promise<EndpointServiceDetails> {
    // The SDK has no paginator for DescribeVpcEndpointServices, so follow NextToken by hand.
    const zones = new Set<string>();
    const dns: Omit<EndpointServiceDetails, 'zoneNames'> = {};
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page: DescribeVpcEndpointServicesCommandOutput = await ec2Call(
        'DescribeVpcEndpointServices',
        options,
        (abortSignal) =>
          this.#client.send(
            new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName], NextToken: token }),
            { abortSignal },
          ),
      );
      for (const detail of page.ServiceDetails ?? []) {
        if (detail.ServiceName !== serviceName) continue;
        for (const zone of detail.AvailabilityZones ?? []) zones.add(zone);
        if (detail.PrivateDnsName) dns.privateDnsName = detail.PrivateDnsName;
        if (detail.PrivateDnsNameVerificationState) {
          dns.privateDnsVerificationState = detail.PrivateDnsNameVerificationState;
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return { zoneNames: [...zones], ...dns };
  }

  /** ModifyVpcEndpoint; EC2 may answer 200 with `Return: false`, which is a refusal all the same. */
  async #modifyEndpoint(
    input: ConstructorParameters<typeof ModifyVpcEndpointCommand>[0],
    refusal: string,
    options?: CallOptions,
  ): Promise<void> {
    const output = await ec2Call('ModifyVpcEndpoint', options, (abortSignal) =>
      this.#client.send(new ModifyVpcEndpointCommand(input), { abortSignal }),
    );
    if (output.Return === false) throw new AwsError('OperationNotPerformed', refusal);
  }

  async #describeEndpoints(
    filters: Filter[],
    vpcEndpointIds: string[] | undefined,
    options?: CallOptions,
  ): Promise<VpcEndpoint[]> {
    return ec2Pages(
      'DescribeVpcEndpoints',
      options,
      (abortSignal) =>
        paginateDescribeVpcEndpoints(
          { client: this.#client },
          { Filters: filters, ...(vpcEndpointIds ? { VpcEndpointIds: vpcEndpointIds } : {}) },
          { abortSignal },
        ),
      (page) => (page.VpcEndpoints ?? []).map(toVpcEndpoint),
    );
  }
}
