/**
 * IAM in front of moto: an SDK middleware on a function's own client decides each command against that
 * function's role before it is sent (moto allows everything), and a denied one fails as the SDK reports
 * AWS's refusal (a service exception with the error code as its name, a client fault, HTTP 403). The EC2
 * requests are the ones the EC2 fake is asked for (ec2-requests.ts); the state they need (an endpoint's
 * tags, a subnet's VPC) is read from moto first with a separate client that no role limits.
 */
import {
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  type Tag,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Subnet, VpcEndpoint } from '../../functions/core/model.ts';
import type { Ec2Operation } from '../ec2-fake.ts';
import { ACCOUNT } from '../iam-engine.ts';
import { type Ec2State, ec2RequestsOf, type PortCall } from './ec2-requests.ts';
import type { Authorizer } from './enforce.ts';

type Input = Record<string, unknown>;

const tagsOf = (tags: Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

/** The port call an EC2 command stands for, in the shape ec2-requests.ts reads. */
function portCallOf(operation: string, input: Input): PortCall {
  const ids = (key: string) => (input[key] as string[] | undefined) ?? [];
  switch (operation) {
    case 'CreateVpcEndpoint': {
      const specs = (input.TagSpecifications as TagSpecification[] | undefined) ?? [];
      const args = {
        vpcId: input.VpcId,
        serviceName: input.ServiceName,
        subnetIds: ids('SubnetIds'),
        securityGroupIds: ids('SecurityGroupIds'),
        tags: tagsOf(specs.flatMap((spec) => spec.Tags ?? [])),
      };
      return { method: 'createInterfaceEndpoint', args: [args] };
    }
    case 'ModifyVpcEndpoint':
      return input.PrivateDnsEnabled
        ? { method: 'enablePrivateDns', args: [input.VpcEndpointId] }
        : {
            method: 'modifyEndpointSubnets',
            args: [
              input.VpcEndpointId,
              { addSubnetIds: ids('AddSubnetIds'), removeSubnetIds: ids('RemoveSubnetIds') },
            ],
          };
    case 'CreateTags':
      return { method: 'tagResource', args: [ids('Resources')[0], tagsOf(input.Tags as Tag[])] };
    case 'DeleteTags':
      return {
        method: 'deleteTags',
        args: [ids('Resources')[0], ((input.Tags as Tag[] | undefined) ?? []).map((tag) => tag.Key)],
      };
    case 'DeleteVpcEndpoints':
      return { method: 'deleteVpcEndpoints', args: [ids('VpcEndpointIds')] };
    case 'DescribeVpcAttribute':
      return { method: 'describeVpcDnsAttributes', args: [input.VpcId] };
    case 'GetManagedPrefixListEntries':
      return { method: 'describePrefixLists', args: [[input.PrefixListId]] };
    default:
      return { method: operation, args: [] };
  }
}

/** The endpoints and subnets a call names, as moto has them now. */
async function stateFor(lookup: EC2Client, region: string, call: PortCall): Promise<Ec2State> {
  const [first, second] = call.args;
  const endpointIds = [
    ...(typeof first === 'string' && first.startsWith('vpce-') ? [first] : []),
    ...(Array.isArray(first) ? first.filter((id): id is string => String(id).startsWith('vpce-')) : []),
  ];
  const change = second as { addSubnetIds?: string[]; removeSubnetIds?: string[] } | undefined;
  const subnetIds = [...(change?.addSubnetIds ?? []), ...(change?.removeSubnetIds ?? [])];
  const endpoints: VpcEndpoint[] =
    endpointIds.length === 0
      ? []
      : (
          (await lookup.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: endpointIds })))
            .VpcEndpoints ?? []
        ).map(
          (endpoint) =>
            ({
              vpcEndpointId: endpoint.VpcEndpointId ?? '',
              vpcId: endpoint.VpcId ?? '',
              serviceName: endpoint.ServiceName ?? '',
              privateDnsEnabled: endpoint.PrivateDnsEnabled ?? false,
              tags: tagsOf(endpoint.Tags),
            }) as VpcEndpoint,
        );
  const subnets: Subnet[] =
    subnetIds.length === 0
      ? []
      : ((await lookup.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets ?? []).map(
          (subnet) => ({ subnetId: subnet.SubnetId ?? '', vpcId: subnet.VpcId ?? '' }) as Subnet,
        );
  return {
    region,
    peekEndpoints: () => endpoints,
    peekSubnets: (ids) => subnets.filter((subnet) => ids.includes(subnet.subnetId)),
  };
}

/** The refusal as the SDK surfaces AWS's: what the adapters' `toAwsError` reads. */
function asServiceException(error: Error & { awsCode?: string }): Error {
  return Object.assign(new Error(error.message), {
    name: error.awsCode ?? 'AccessDenied',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
  });
}

/** An initialize-step middleware, written once for every client (the SDK types it per client). */
type Handler = (args: { input: object }) => Promise<unknown>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
const STEP = { step: 'initialize', name: 'sandboxIam' } as const;

function middleware(decide: (command: string, input: Input) => Promise<void>): Middleware {
  return (next, context) => async (args) => {
    try {
      await decide(String(context.commandName ?? '').replace(/Command$/, ''), args.input as Input);
    } catch (error) {
      throw asServiceException(error as Error);
    }
    return next(args);
  };
}

/** `client` (a function's own EC2 client on moto) asks IAM first; `lookup` reads moto's state for it. */
export function enforceEc2Client(
  client: EC2Client,
  authorizer: Authorizer,
  lookup: EC2Client,
  region: string,
): void {
  client.middlewareStack.add(
    middleware(async (operation, input) => {
      const call = portCallOf(operation, input);
      const state = await stateFor(lookup, region, call);
      await authorizer.authorize('ec2', ec2RequestsOf(operation as Ec2Operation, call, state));
    }) as never, // one middleware for clients whose stacks the SDK types apart
    STEP,
  );
}

/** A function's own EventBridge client: PutEvents on the bus it names. */
export function enforceEventBridgeClient(
  client: EventBridgeClient,
  authorizer: Authorizer,
  region: string,
): void {
  client.middlewareStack.add(
    middleware(async (operation, input) => {
      const entries = (input.Entries as Array<{ EventBusName?: string }> | undefined) ?? [];
      const buses = [...new Set(entries.map((entry) => entry.EventBusName ?? 'default'))];
      const busArn = (name: string) =>
        name.startsWith('arn:') ? name : `arn:aws:events:${region}:${ACCOUNT}:event-bus/${name}`;
      await authorizer.authorize(
        'json',
        buses.map((bus) => ({ action: `events:${operation}`, resource: busArn(bus) })),
      );
    }) as never, // one middleware for clients whose stacks the SDK types apart
    STEP,
  );
}
