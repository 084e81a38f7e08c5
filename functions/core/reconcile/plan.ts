import {
  awsRegionOf,
  CLUSTER_STATES,
  CONNECTION_STATES,
  ENDPOINT_STATES,
  isDocumented,
  SERVICE_STATES,
  SUBNET_CONFIG_TAG,
} from '../model.ts';
import * as fix from '../remediation.ts';
import { subnetConfigChanged, subnetConfigOf } from './identity.ts';
import { AZ_ID, selectSubnets, toZoneIds } from './select-subnets.ts';
import type { Decision, Observation, ReconcileSettings } from './types.ts';

// Every enum plan() reads is documented in model.ts: a value outside it is never a reason to take a step;
// the cluster waits and the outcome names the value verbatim.
/** Endpoint states in which subnets can still be changed and TiDB can still accept it. */
const LIVE_ENDPOINT: ReadonlySet<string> = new Set(['pendingAcceptance', 'pending', 'available']);

/** Cluster states that end by themselves before the cluster is usable. */
const STARTING: ReadonlySet<string> = new Set(['CREATING', 'RESUMING']);
/** The cluster serves while TiDB works on it: a converged cluster stays Ready, others wait. */
const BUSY_SERVING: ReadonlySet<string> = new Set([
  'MAINTENANCE',
  'MODIFYING',
  'UPGRADING',
  'IMPORTING',
  'RESTORING',
]);
/** Paused on purpose by the user. */
const PAUSED_STATES: ReadonlySet<string> = new Set(['PAUSED', 'PAUSING']);

const blocked = (reason: Extract<Decision, { kind: 'blocked' }>['reason'], message: string, fix: string) =>
  ({ kind: 'blocked', reason, message, remediation: fix }) as const;

const unknownValue = (what: string, value: string): Decision => ({
  kind: 'wait',
  waitingFor: `${what} to leave "${value}", a state this version does not know (it takes no step on it)`,
});

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
  const { state } = cluster;
  if (state === 'ACTIVE') return undefined;
  if (!isDocumented(CLUSTER_STATES, state)) return unknownValue(`cluster ${cluster.clusterId}`, state);
  if (PAUSED_STATES.has(state)) return { kind: 'idle', why: `Cluster ${cluster.clusterId} is ${state}.` };
  if (BUSY_SERVING.has(state) && isConverged(observed, settings, false)) return { kind: 'ready' };
  if (STARTING.has(state) || BUSY_SERVING.has(state)) {
    return { kind: 'wait', waitingFor: `cluster to be ACTIVE (it is ${state})` };
  }
  return blocked(
    'CLUSTER_UNAVAILABLE',
    `Cluster ${cluster.clusterId} is ${state}.`,
    fix.clusterNotActive(cluster.clusterId, state),
  );
}

/**
 * The gates, explicitly: AWS `available`, TiDB `ACTIVE`, private DNS on (and, if asked, the endpoint's subnets
 * as configured: a stale tag alone is bookkeeping, never a reason to leave Ready).
 */
function isConverged(observed: Observation, settings: ReconcileSettings, checkSubnets = true): boolean {
  const { endpoint, connection } = observed;
  return (
    endpoint?.state === 'available' &&
    endpoint.privateDnsEnabled &&
    connection?.endpointState === 'ACTIVE' &&
    !(checkSubnets && planSubnets(observed, settings))
  );
}

function planService(observed: Observation): Decision | undefined {
  const { service } = observed;
  if (service && !isDocumented(SERVICE_STATES, service.state))
    return unknownValue('private link service', service.state);
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

/**
 * The AZ IDs the service supports. EC2's answer is the customer-side truth (names in this account's naming,
 * so they map through this account's table); TiDB's list is read as AZ IDs only, never mapped through this
 * account's names, and is the fallback when EC2 lists none.
 */
function supportedZoneIds(observed: Observation): string[] {
  const ec2 = toZoneIds(observed.serviceZoneNames ?? [], observed.vpc?.zones ?? []);
  return ec2.length > 0 ? ec2 : tidbZoneIds(observed);
}

const tidbZoneIds = (observed: Observation) =>
  (observed.service?.availableZones ?? []).filter((zone) => AZ_ID.test(zone));

/** Says when EC2's and TiDB's zone lists disagree: nothing changes, but a person may want to know. */
export function zoneNotes(observed: Observation): string[] {
  if (!observed.vpc || !observed.service || !observed.serviceZoneNames?.length) return [];
  const ec2 = toZoneIds(observed.serviceZoneNames, observed.vpc.zones).sort();
  const tidb = tidbZoneIds(observed).sort();
  if (tidb.length === 0 || ec2.join(',') === tidb.join(',')) return [];
  return [
    `EC2 offers the service in ${ec2.join(', ')} but TiDB Cloud lists ${tidb.join(', ')}: EC2's list was used.`,
  ];
}

function noSupportedSubnet(
  observed: Observation,
  settings: ReconcileSettings,
  supported: string[],
): Decision {
  // Sorted: the message, like the choice, never depends on the order EC2 listed things in.
  const have = (observed.vpc?.subnets ?? [])
    .map((subnet) => `${subnet.subnetId} (${subnet.availabilityZoneId})`)
    .sort()
    .join(', ');
  const zones = [...supported].sort();
  return blocked(
    'NO_SUPPORTED_SUBNET',
    `None of the configured subnets (${have}) is in an AZ the endpoint service supports (${zones.join(', ')}); AWS would reject the endpoint.`,
    fix.addSupportedSubnet(settings.vpcId, zones),
  );
}

/**
 * A service without a private DNS name, or whose name EC2 says is not verified, can never get private DNS:
 * Blocked before anything is created. A name with no verification state at all (some EC2 implementations
 * omit it) is given the benefit of the doubt.
 */
function planPrivateDnsName(observed: Observation): Decision | undefined {
  const dns = observed.servicePrivateDns;
  const verified = dns?.verificationState === undefined || dns.verificationState === 'verified';
  if (!dns || (dns.name && verified)) return undefined;
  const serviceName = observed.service?.serviceName ?? '';
  const state = dns.name ? `${dns.name}: ${dns.verificationState ?? 'not verified'}` : 'no name';
  return blocked(
    'PRIVATE_DNS_UNAVAILABLE',
    `The endpoint service ${serviceName} offers no verified private DNS name (${state}); nothing was created.`,
    fix.privateDnsUnavailable(serviceName, observed.cluster.clusterId, state),
  );
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
  const noDnsName = planPrivateDnsName(observed);
  if (noDnsName) return noDnsName;
  const supported = supportedZoneIds(observed);
  const { chosen, skipped } = selectSubnets(vpc.subnets, supported);
  if (chosen.length === 0) return noSupportedSubnet(observed, settings, supported);
  return {
    kind: 'act',
    action: { type: 'create-endpoint', subnetIds: chosen.map((s) => s.subnetId), skippedSubnets: skipped },
  };
}

/**
 * What a possibly changed subnet list asks of the live endpoint: nothing (undefined) when its tag matches the
 * configuration or its subnets already are the ones the configuration picks; else the VPC facts first, then
 * a modify that gains and loses subnets in place, keeping the ones it has.
 */
function planSubnets(observed: Observation, settings: ReconcileSettings): Decision | undefined {
  const { endpoint, vpc } = observed;
  if (!endpoint || !subnetConfigChanged(endpoint, settings.subnetIds)) return undefined;
  if (!vpc || !observed.serviceZoneNames) return { kind: 'wait', waitingFor: 'VPC facts' };
  const current = new Set(endpoint.subnetIds);
  const supported = supportedZoneIds(observed);
  const { chosen, skipped } = selectSubnets(vpc.subnets, supported, (subnet) => current.has(subnet.subnetId));
  if (chosen.length === 0) return noSupportedSubnet(observed, settings, supported);
  const wanted = new Set(chosen.map((subnet) => subnet.subnetId));
  const addSubnetIds = [...wanted].filter((id) => !current.has(id));
  const removeSubnetIds = endpoint.subnetIds.filter((id) => !wanted.has(id)).sort();
  if (addSubnetIds.length + removeSubnetIds.length === 0) return undefined;
  return {
    kind: 'act',
    action: {
      type: 'modify-endpoint-subnets',
      vpcEndpointId: endpoint.vpcEndpointId,
      addSubnetIds,
      removeSubnetIds,
      skippedSubnets: skipped,
    },
  };
}

/**
 * Bookkeeping, not a step: the subnet-config tag to write on our endpoint when it is stale but the endpoint's
 * subnets already are what the configuration asks (an endpoint from an earlier version, an adopted one, or
 * one just modified). Only once the VPC facts prove it, and never while any state outside the enums is seen.
 */
export function staleSubnetConfig(
  observed: Observation,
  settings: ReconcileSettings,
): { vpcEndpointId: string; tags: Record<string, string> } | undefined {
  const { endpoint, connection, service, cluster } = observed;
  if (!endpoint || !observed.vpc || !observed.serviceZoneNames) return undefined;
  const configured = subnetConfigOf(settings.subnetIds);
  const known =
    isDocumented(CLUSTER_STATES, cluster.state) &&
    isDocumented(ENDPOINT_STATES, endpoint.state) &&
    (!connection || isDocumented(CONNECTION_STATES, connection.endpointState)) &&
    (!service || isDocumented(SERVICE_STATES, service.state));
  if (!known || !LIVE_ENDPOINT.has(endpoint.state) || endpoint.tags[SUBNET_CONFIG_TAG] === configured) {
    return undefined;
  }
  if (planSubnets(observed, settings) !== undefined) return undefined;
  return { vpcEndpointId: endpoint.vpcEndpointId, tags: { [SUBNET_CONFIG_TAG]: configured } };
}

function planPending(observed: Observation, settings: ReconcileSettings, now: number | undefined): Decision {
  const { endpoint, connection, cluster, tidbNodeGroupId } = observed;
  const createdAt = endpoint?.createdAt ? Date.parse(endpoint.createdAt) : Number.NaN;
  if (endpoint && connection && now !== undefined && now - createdAt > settings.pendingTimeoutMs) {
    const minutes = Math.round(settings.pendingTimeoutMs / 60_000);
    return blocked(
      'PENDING_TOO_LONG',
      `TiDB Cloud has kept the connection for ${endpoint.vpcEndpointId} PENDING for more than ${minutes} minutes (since ${endpoint.createdAt}).`,
      fix.pendingTooLong({
        clusterId: cluster.clusterId,
        nodeGroupId: tidbNodeGroupId,
        connectionId: connection.privateEndpointConnectionId,
        vpceId: endpoint.vpcEndpointId,
        minutes,
      }),
    );
  }
  return {
    kind: 'wait',
    waitingFor: 'TiDB Cloud to accept the endpoint ("System Checking", about 5 minutes)',
  };
}

function planEndpoint(observed: Observation, settings: ReconcileSettings, now: number | undefined): Decision {
  const { endpoint, connection, cluster, tidbNodeGroupId } = observed;
  if (!endpoint) return { kind: 'wait', waitingFor: 'endpoint' };
  if (!isDocumented(ENDPOINT_STATES, endpoint.state))
    return unknownValue(`endpoint ${endpoint.vpcEndpointId}`, endpoint.state);
  if (!LIVE_ENDPOINT.has(endpoint.state)) {
    // rejected or failed (deleted and expired count as no endpoint): never re-created in a loop.
    return blocked(
      'ENDPOINT_REJECTED',
      `Endpoint ${endpoint.vpcEndpointId} is ${endpoint.state}.`,
      fix.replaceEndpoint(endpoint.vpcEndpointId, endpoint.state, cluster.clusterId, tidbNodeGroupId),
    );
  }
  const subnets = planSubnets(observed, settings);
  if (subnets) return subnets;
  if (connection && !isDocumented(CONNECTION_STATES, connection.endpointState)) {
    return unknownValue(`TiDB's connection for ${endpoint.vpcEndpointId}`, connection.endpointState);
  }
  if (!connection || connection.endpointState === 'DISCOVERED') {
    if (observed.registered) {
      const shown = connection ? `it shows ${connection.endpointState}` : 'it does not list it yet';
      return {
        kind: 'wait',
        waitingFor: `TiDB Cloud to take up the registration of ${endpoint.vpcEndpointId} (${shown})`,
      };
    }
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
      return planPending(observed, settings, now);
    case 'DELETING':
      return { kind: 'wait', waitingFor: 'TiDB Cloud to finish deleting the old registration' };
    case 'ACTIVE':
      return planPrivateDns(observed);
    default:
      return unknownValue(`TiDB's connection for ${endpoint.vpcEndpointId}`, connection.endpointState);
  }
}

/** The last gate, explicit: private DNS only when AWS shows `available` and TiDB says `ACTIVE`. */
function planPrivateDns(observed: Observation): Decision {
  const { endpoint, connection } = observed;
  if (!endpoint || connection?.endpointState !== 'ACTIVE') return { kind: 'wait', waitingFor: 'TiDB Cloud' };
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
 * `now` (clock ms) lets a connection PENDING for too long be Blocked; without it nothing times out.
 */
export function plan(observed: Observation, settings: ReconcileSettings, now?: number): Decision {
  const clusterDecision = planCluster(observed, settings);
  if (clusterDecision) return clusterDecision;
  if (isConverged(observed, settings)) return { kind: 'ready' };
  // Once our endpoint exists the service has done its part: no need to read it again while waiting.
  if (observed.endpoint) return planEndpoint(observed, settings, now);
  return planService(observed) ?? planCreate(observed, settings);
}

/** What observe() must still read before plan() can decide: keeps converged reconciles cheap. */
export function detailsNeeded(
  observed: Observation,
  settings: ReconcileSettings,
): { service: boolean; createFacts: boolean } {
  if (planCluster(observed, settings) || isConverged(observed, settings)) {
    return { service: false, createFacts: false };
  }
  const { endpoint } = observed;
  if (endpoint) {
    const resubnet = LIVE_ENDPOINT.has(endpoint.state) && subnetConfigChanged(endpoint, settings.subnetIds);
    return { service: false, createFacts: resubnet && observed.vpc === undefined };
  }
  const serviceReady = observed.service !== undefined && planService(observed) === undefined;
  return { service: observed.service === undefined, createFacts: serviceReady && observed.vpc === undefined };
}
