import { awsRegionOf, type ClusterState } from '../model.ts';
import * as fix from '../remediation.ts';
import { selectSubnets, toZoneIds } from './select-subnets.ts';
import type { Decision, Observation, ReconcileSettings } from './types.ts';

/** Cluster states that end by themselves (wait), and those that need a person (Blocked). */
const TRANSITIONAL: ReadonlySet<ClusterState> = new Set([
  'CREATING',
  'MODIFYING',
  'RESUMING',
  'UPGRADING',
  'IMPORTING',
  'RESTORING',
  'MAINTENANCE',
]);
const PAUSED: ReadonlySet<ClusterState> = new Set(['PAUSED', 'PAUSING']);

const blocked = (reason: Extract<Decision, { kind: 'blocked' }>['reason'], message: string, fix: string) =>
  ({ kind: 'blocked', reason, message, remediation: fix }) as const;

function planCluster(observed: Observation, settings: ReconcileSettings): Decision | undefined {
  const { cluster } = observed;
  if (cluster.cloudProvider !== 'aws') {
    return blocked(
      'NOT_AWS',
      `Cluster ${cluster.clusterId} is not on AWS.`,
      fix.notAwsCluster(cluster.cloudProvider),
    );
  }
  const clusterRegion = awsRegionOf(cluster.regionId);
  if (clusterRegion !== settings.region) {
    return blocked(
      'REGION_MISMATCH',
      `Cluster ${cluster.clusterId} is in ${cluster.regionId}, this stack in aws-${settings.region}: PrivateLink is same-region only.`,
      fix.crossRegion(cluster.regionId, settings.region),
    );
  }
  if (cluster.state === 'ACTIVE') return undefined;
  if (TRANSITIONAL.has(cluster.state))
    return { kind: 'wait', waitingFor: `cluster to be ACTIVE (it is ${cluster.state})` };
  if (PAUSED.has(cluster.state)) {
    return blocked(
      'CLUSTER_PAUSED',
      `Cluster ${cluster.clusterId} is ${cluster.state}.`,
      fix.clusterNotActive(cluster.clusterId, cluster.state),
    );
  }
  return blocked(
    'CLUSTER_UNAVAILABLE',
    `Cluster ${cluster.clusterId} is ${cluster.state}.`,
    fix.clusterNotActive(cluster.clusterId, cluster.state),
  );
}

function isConverged(observed: Observation): boolean {
  const { endpoint, connection } = observed;
  return (
    endpoint?.state === 'available' && endpoint.privateDnsEnabled && connection?.endpointState === 'ACTIVE'
  );
}

function planService(observed: Observation): Decision | undefined {
  const { service } = observed;
  if (service?.state === 'DELETING') {
    return blocked(
      'SERVICE_DELETING',
      'The private link service is being deleted.',
      fix.serviceDeleting(observed.cluster.clusterId),
    );
  }
  if (service?.state !== 'ACTIVE' || !service.serviceName) {
    return {
      kind: 'wait',
      waitingFor: 'private link service to be ACTIVE (TiDB creates it 3–5 minutes after the cluster)',
    };
  }
  return undefined;
}

function planCreate(observed: Observation, settings: ReconcileSettings): Decision {
  const { vpc, service, foreignEndpoints, cluster, tidbNodeGroupId } = observed;
  if (!vpc || !service || !observed.serviceZoneNames) return { kind: 'wait', waitingFor: 'VPC facts' };
  const foreign = foreignEndpoints?.find((endpoint) => !['deleted', 'deleting'].includes(endpoint.state));
  if (foreign) {
    return blocked(
      'FOREIGN_ENDPOINT',
      `Endpoint ${foreign.vpcEndpointId} to ${service.serviceName} exists in ${settings.vpcId} without the managed-by tag.`,
      fix.adoptOrDeleteForeignEndpoint(foreign.vpcEndpointId, cluster.clusterId, tidbNodeGroupId),
    );
  }
  const missingDns = (['enableDnsSupport', 'enableDnsHostnames'] as const).filter(
    (attribute) => !vpc.dns[attribute],
  );
  if (missingDns.length > 0) {
    return blocked(
      'VPC_DNS_ATTRIBUTES',
      `VPC ${settings.vpcId} has ${missingDns.join(' and ')} off; private DNS for the endpoint needs both on.`,
      fix.enableVpcDns(settings.vpcId, {
        support: !vpc.dns.enableDnsSupport,
        hostnames: !vpc.dns.enableDnsHostnames,
      }),
    );
  }
  // EC2's own answer is the customer-side truth; TiDB's list is the fallback when EC2 lists none.
  const ec2ZoneIds = toZoneIds(observed.serviceZoneNames, vpc.zones);
  const supported = ec2ZoneIds.length > 0 ? ec2ZoneIds : toZoneIds(service.availableZones, vpc.zones);
  const { chosen, skipped } = selectSubnets(vpc.subnets, supported);
  if (chosen.length === 0) {
    const have = vpc.subnets.map((subnet) => `${subnet.subnetId} (${subnet.availabilityZoneId})`).join(', ');
    return blocked(
      'NO_SUPPORTED_SUBNET',
      `None of the configured subnets (${have}) is in an AZ the endpoint service supports (${supported.join(', ')}); AWS would reject the endpoint.`,
      fix.addSupportedSubnet(settings.vpcId, supported),
    );
  }
  return {
    kind: 'act',
    action: { type: 'create-endpoint', subnetIds: chosen.map((s) => s.subnetId), skippedSubnets: skipped },
  };
}

function planEndpoint(observed: Observation): Decision {
  const { endpoint, connection, cluster, tidbNodeGroupId } = observed;
  if (!endpoint) return { kind: 'wait', waitingFor: 'endpoint' };
  if (['rejected', 'failed', 'expired'].includes(endpoint.state)) {
    return blocked(
      'ENDPOINT_REJECTED',
      `Endpoint ${endpoint.vpcEndpointId} is ${endpoint.state}.`,
      fix.replaceEndpoint(endpoint.vpcEndpointId, endpoint.state, cluster.clusterId, tidbNodeGroupId),
    );
  }
  if (!connection || connection.endpointState === 'DISCOVERED') {
    return { kind: 'act', action: { type: 'register-connection', vpcEndpointId: endpoint.vpcEndpointId } };
  }
  switch (connection.endpointState) {
    case 'FAILED':
      return blocked(
        'TIDB_CONNECTION_FAILED',
        `TiDB Cloud failed the connection for ${endpoint.vpcEndpointId}: ${connection.message || 'no message'}`,
        fix.reRegisterFailedConnection(
          {
            clusterId: cluster.clusterId,
            nodeGroupId: tidbNodeGroupId,
            connectionId: connection.privateEndpointConnectionId,
            vpceId: endpoint.vpcEndpointId,
          },
          connection.message,
        ),
      );
    case 'PENDING':
      return {
        kind: 'wait',
        waitingFor: 'TiDB Cloud to accept the endpoint ("System Checking", about 5 minutes)',
      };
    case 'DELETING':
      return { kind: 'wait', waitingFor: 'TiDB Cloud to finish deleting the old registration' };
    default:
      break;
  }
  if (endpoint.state !== 'available') {
    return { kind: 'wait', waitingFor: `AWS to mark the endpoint available (it is ${endpoint.state})` };
  }
  if (!endpoint.privateDnsEnabled) {
    return { kind: 'act', action: { type: 'enable-private-dns', vpcEndpointId: endpoint.vpcEndpointId } };
  }
  return { kind: 'ready' };
}

/**
 * The pure heart of provisioning: from what is observed, the single next step. TiDB's guide in order:
 * cluster → service → endpoint (private DNS off) → register → wait for ACTIVE → private DNS on.
 */
export function plan(observed: Observation, settings: ReconcileSettings): Decision {
  const clusterDecision = planCluster(observed, settings);
  if (clusterDecision) return clusterDecision;
  if (isConverged(observed)) return { kind: 'ready' };
  // Once our endpoint exists the service has done its part: no need to read it again while waiting.
  if (observed.endpoint) return planEndpoint(observed);
  return planService(observed) ?? planCreate(observed, settings);
}

/** What observe() must still read before plan() can decide: keeps converged reconciles cheap. */
export function detailsNeeded(
  observed: Observation,
  settings: ReconcileSettings,
): { service: boolean; createFacts: boolean } {
  if (planCluster(observed, settings) || isConverged(observed)) return { service: false, createFacts: false };
  if (observed.endpoint) return { service: false, createFacts: false };
  const serviceReady = observed.service !== undefined && planService(observed) === undefined;
  return { service: observed.service === undefined, createFacts: serviceReady && observed.vpc === undefined };
}
