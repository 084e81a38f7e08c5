/**
 * What each reconcile action is in the AWS CLI or the TiDB Cloud API, for `--dry-run`: a person reading the
 * plan can check it, or do a step by hand. These describe actions, not fixes, so they live beside the
 * actions rather than in remediation.ts. Values from outside (a display name in a tag) are shell-quoted.
 */
import { ORPHANED_SINCE_TAG } from '../model.ts';
import type { Action, OrphanAction } from './types.ts';

export interface EquivalentContext {
  region: string;
  clusterId: string;
  tidbNodeGroupId: string;
  /** For `create-endpoint`: the request the create would send. */
  create?: { vpcId: string; serviceName: string; securityGroupIds: string[]; tags: Record<string, string> };
}

/** POSIX shell single quotes: safe for any text, including quotes and `$`. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

const connectionsPath = (context: EquivalentContext) =>
  `/v1beta1/clusters/${context.clusterId}/tidbNodeGroups/${context.tidbNodeGroupId}/privateEndpointConnections`;

function createEndpoint(action: Extract<Action, { type: 'create-endpoint' }>, context: EquivalentContext) {
  const request = context.create;
  const tags = Object.entries(request?.tags ?? {})
    .map(([key, value]) => `{Key=${key},Value=${value}}`)
    .join(',');
  return [
    `aws ec2 create-vpc-endpoint --region ${context.region} --vpc-endpoint-type Interface`,
    `--vpc-id ${request?.vpcId ?? '<vpc>'} --service-name ${request?.serviceName ?? '<service>'}`,
    `--subnet-ids ${action.subnetIds.join(' ')}`,
    ...(request?.securityGroupIds.length
      ? [`--security-group-ids ${request.securityGroupIds.join(' ')}`]
      : []),
    '--no-private-dns-enabled --ip-address-type ipv4 --dns-options DnsRecordIpType=ipv4',
    `--tag-specifications ${shellQuote(`ResourceType=vpc-endpoint,Tags=[${tags}]`)}`,
  ].join(' ');
}

export function equivalentOf(action: Action | OrphanAction, context: EquivalentContext): string {
  const ec2 = (operation: string) => `aws ec2 ${operation} --region ${context.region}`;
  switch (action.type) {
    case 'create-endpoint':
      return createEndpoint(action, context);
    case 'register-connection':
      return `TiDB Cloud API: POST ${connectionsPath(context)} {"endpointId":"${action.vpcEndpointId}"}`;
    case 'enable-private-dns':
      return `${ec2('modify-vpc-endpoint')} --vpc-endpoint-id ${action.vpcEndpointId} --private-dns-enabled`;
    case 'modify-endpoint-subnets':
      return [
        `${ec2('modify-vpc-endpoint')} --vpc-endpoint-id ${action.vpcEndpointId}`,
        ...(action.addSubnetIds.length ? [`--add-subnet-ids ${action.addSubnetIds.join(' ')}`] : []),
        ...(action.removeSubnetIds.length ? [`--remove-subnet-ids ${action.removeSubnetIds.join(' ')}`] : []),
      ].join(' ');
    case 'mark-orphaned':
      return `${ec2('create-tags')} --resources ${action.vpcEndpointId} --tags Key=${ORPHANED_SINCE_TAG},Value=${action.orphanedSince}`;
    case 'clear-orphaned':
      return `${ec2('delete-tags')} --resources ${action.vpcEndpointId} --tags Key=${ORPHANED_SINCE_TAG}`;
    case 'delete-connection':
      return `TiDB Cloud API: DELETE ${connectionsPath(context)}/${action.privateEndpointConnectionId}`;
    case 'delete-endpoint':
      return `${ec2('delete-vpc-endpoints')} --vpc-endpoint-ids ${action.vpcEndpointId}`;
  }
}
