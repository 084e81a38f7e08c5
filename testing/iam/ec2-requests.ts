/**
 * What IAM is asked for one EC2 API call: the action once per resource it authorises, each with the condition
 * keys AWS puts in that request's context: from the input (request tags, `aws:TagKeys`,
 * `ec2:VpceServiceName`), from a lookup of the current state (the endpoint's tags, a subnet's `ec2:Vpc`), and
 * the checks EC2 makes on the caller's behalf (`ec2:CreateTags` with `ec2:CreateAction` for tags given at
 * creation; `route53:AssociateVPCWithHostedZone` with `route53:VPCs` when private DNS is turned on). Keys that
 * do not apply to a resource type are dropped by the engine, as AWS drops them (iam-engine `simulate`).
 */
import { createHash } from 'node:crypto';
import type { Subnet, VpcEndpoint } from '../../functions/core/model.ts';
import type { CreateEndpointInput } from '../../functions/core/ports.ts';
import type { Ec2Operation } from '../ec2-fake.ts';
import { ACCOUNT, type AwsRequest } from '../iam-engine.ts';

/** What the requests are built from besides the call itself: the fake's state, read without counting a call. */
export interface Ec2State {
  region: string;
  /** The account the VPC is in, when not the hub's (a spoke's). */
  account?: string;
  peekEndpoints(): VpcEndpoint[];
  peekSubnets(subnetIds: string[]): Subnet[];
  /** The groups' VPCs, for their `ec2:Vpc`; a state without it leaves the key out. */
  peekSecurityGroups?(groupIds: string[]): Array<{ groupId: string; vpcId: string }>;
}

/** One call of an `Ec2Port` method, as the caller made it. */
export interface PortCall {
  method: string;
  args: unknown[];
}

const tagContext = (prefix: string, tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([key, value]) => [`${prefix}/${key}`, value]));

const requestTags = (tags: Record<string, string>) => ({
  'aws:TagKeys': Object.keys(tags),
  ...tagContext('aws:RequestTag', tags),
});

/**
 * The private hosted zone EC2 associates when private DNS is enabled belongs to the service's side; its id
 * is never seen by the caller. A stable made-up id per service stands for it.
 */
function hostedZoneOf(serviceName: string): string {
  const digest = createHash('sha256').update(serviceName).digest('hex').toUpperCase().slice(0, 20);
  return `arn:aws:route53:::hostedzone/Z${digest}`;
}

export function ec2RequestsOf(operation: Ec2Operation, call: PortCall, state: Ec2State): AwsRequest[] {
  const arn = (resource: string) => `arn:aws:ec2:${state.region}:${state.account ?? ACCOUNT}:${resource}`;
  const action = `ec2:${operation}`;
  const endpointTags = (id: string) =>
    tagContext('aws:ResourceTag', state.peekEndpoints().find((e) => e.vpcEndpointId === id)?.tags ?? {});
  const onEndpoint = (id: string, context: Record<string, string | string[]> = {}): AwsRequest => ({
    action,
    resource: arn(`vpc-endpoint/${id}`),
    context: { ...endpointTags(id), ...context },
  });
  const inVpc = (resource: string, vpcId: string | undefined): AwsRequest => ({
    action,
    resource: arn(resource),
    context: vpcId ? { 'ec2:Vpc': arn(`vpc/${vpcId}`) } : {},
  });
  const subnet = (id: string) => inVpc(`subnet/${id}`, state.peekSubnets([id])[0]?.vpcId);
  const group = (id: string) => inVpc(`security-group/${id}`, state.peekSecurityGroups?.([id])[0]?.vpcId);
  const [first, second] = call.args;
  switch (operation) {
    case 'CreateVpcEndpoint': {
      const input = first as CreateEndpointInput;
      // A resource being created has no id yet; any id stands for it (as in iam-matrix.test.ts).
      const created = arn('vpc-endpoint/vpce-0new0000000000000');
      return [
        {
          action,
          resource: created,
          context: { 'ec2:VpceServiceName': input.serviceName, ...requestTags(input.tags) },
        },
        { action, resource: arn(`vpc/${input.vpcId}`) },
        ...input.subnetIds.map(subnet),
        ...input.securityGroupIds.map(group),
        // Tags given at creation are authorised as CreateTags too, with the action that creates them.
        ...(Object.keys(input.tags).length > 0
          ? [
              {
                action: 'ec2:CreateTags',
                resource: created,
                context: { 'ec2:CreateAction': 'CreateVpcEndpoint', ...requestTags(input.tags) },
              },
            ]
          : []),
      ];
    }
    case 'ModifyVpcEndpoint': {
      const id = first as string;
      if (call.method === 'modifyEndpointSubnets') {
        const change = second as { addSubnetIds: string[]; removeSubnetIds: string[] };
        return [onEndpoint(id), ...[...change.addSubnetIds, ...change.removeSubnetIds].map(subnet)];
      }
      const endpoint = state.peekEndpoints().find((e) => e.vpcEndpointId === id);
      // Turning private DNS on associates the VPC with the service's zone, on the caller's authority.
      const associates = endpoint && !endpoint.privateDnsEnabled;
      return [
        onEndpoint(id),
        ...(associates
          ? [
              {
                action: 'route53:AssociateVPCWithHostedZone',
                resource: hostedZoneOf(endpoint.serviceName),
                context: { 'route53:VPCs': `VPCId=${endpoint.vpcId},VPCRegion=${state.region}` },
              },
            ]
          : []),
      ];
    }
    case 'CreateTags':
      return [onEndpoint(first as string, requestTags(second as Record<string, string>))];
    case 'DeleteTags':
      return [onEndpoint(first as string, { 'aws:TagKeys': second as string[] })];
    case 'DeleteVpcEndpoints':
      return (first as string[]).map((id) => onEndpoint(id));
    case 'DescribeVpcAttribute':
      return [{ action, resource: arn(`vpc/${first as string}`) }];
    case 'GetManagedPrefixListEntries':
      // One call per list; which one is not visible here, so each call asks for every list of the method.
      return (first as string[]).map((id) => ({ action, resource: arn(`prefix-list/${id}`) }));
    default:
      // The other reads (Describe*) have no resource-level permissions: authorised on `*`.
      return [{ action, resource: '*' }];
  }
}
