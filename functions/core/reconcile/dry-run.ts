/**
 * Plan mode (`--dry-run`): the converge loop runs as always, observing for real, but each action goes to a
 * recorder instead of AWS and TiDB Cloud. The recorder answers with the world as it would be had the action
 * succeeded, so the pure plan goes on to name the next step: a fresh cluster shows create, register and
 * enable in order. Where the projection assumes something only time brings (TiDB accepting the endpoint),
 * the planned action says so in `when`.
 */
import { type PrivateEndpointConnection, SUBNET_CONFIG_TAG, type VpcEndpoint } from '../model.ts';
import type { CallOptions } from '../ports.ts';
import { type ApplyResult, endpointTags } from './apply.ts';
import { equivalentOf } from './equivalents.ts';
import { subnetConfigOf } from './identity.ts';
import type {
  Action,
  Observation,
  PlannedAction,
  ProvisionOutcome,
  ReconcileDeps,
  ReconcileSettings,
} from './types.ts';

/** The id a dry run shows for an endpoint it would create (EC2 assigns the real one). */
export const NEW_ENDPOINT_ID = '<new endpoint id>';
const NEW_CONNECTION_ID = '<new connection id>';
const AFTER_ACCEPTANCE = 'after TiDB Cloud accepts the endpoint ("System Checking", about 5 minutes)';

/** `apply`'s signature: the converge loop takes either. */
export type Step = (
  deps: ReconcileDeps,
  observed: Observation,
  action: Action,
  options: CallOptions,
) => Promise<ApplyResult>;

const keyOf = (clusterId: string, tidbNodeGroupId: string) => `${clusterId}/${tidbNodeGroupId}`;

function newEndpoint(observed: Observation, settings: ReconcileSettings, subnetIds: string[], now: number) {
  const endpoint: VpcEndpoint = {
    vpcEndpointId: NEW_ENDPOINT_ID,
    vpcId: settings.vpcId,
    serviceName: observed.service?.serviceName ?? '',
    state: 'pendingAcceptance',
    subnetIds,
    securityGroupIds: settings.securityGroupIds,
    networkInterfaceIds: [],
    privateDnsEnabled: false,
    tags: endpointTags(observed, settings),
    createdAt: new Date(now).toISOString(),
  };
  return endpoint;
}

/** TiDB accepting the registration, assumed: the connection ACTIVE and the endpoint available. */
function accepted(observed: Observation, endpoint: VpcEndpoint): Observation {
  const connection: PrivateEndpointConnection = {
    privateEndpointConnectionId: observed.connection?.privateEndpointConnectionId ?? NEW_CONNECTION_ID,
    clusterId: observed.cluster.clusterId,
    tidbNodeGroupId: observed.tidbNodeGroupId,
    endpointId: endpoint.vpcEndpointId,
    endpointState: 'ACTIVE',
    message: '',
    host: observed.service?.serviceDnsName ?? '',
    privateLinkServiceName: endpoint.serviceName,
  };
  return { ...observed, endpoint: { ...endpoint, state: 'available' }, connection };
}

/** The observation after `action`, had it succeeded. */
function projected(deps: ReconcileDeps, observed: Observation, action: Action): Observation {
  const { endpoint } = observed;
  switch (action.type) {
    case 'create-endpoint':
      return {
        ...observed,
        endpoint: newEndpoint(observed, deps.settings, action.subnetIds, deps.clock.now()),
        connection: undefined,
      };
    case 'register-connection':
      return endpoint ? accepted(observed, endpoint) : observed;
    case 'enable-private-dns':
      return endpoint ? { ...observed, endpoint: { ...endpoint, privateDnsEnabled: true } } : observed;
    case 'modify-endpoint-subnets': {
      if (!endpoint) return observed;
      const subnetIds = [
        ...endpoint.subnetIds.filter((id) => !action.removeSubnetIds.includes(id)),
        ...action.addSubnetIds,
      ];
      const tags = { ...endpoint.tags, [SUBNET_CONFIG_TAG]: subnetConfigOf(deps.settings.subnetIds) };
      return { ...observed, endpoint: { ...endpoint, subnetIds, tags } };
    }
  }
}

/** Records what one run would do, per cluster and node group. */
export class PlanRecorder {
  readonly #planned = new Map<string, PlannedAction[]>();
  /** Keys whose projection assumed TiDB's acceptance: later steps wait for it in reality. */
  readonly #assumed = new Set<string>();

  readonly step: Step = async (deps, observed, action) => {
    const key = keyOf(observed.cluster.clusterId, observed.tidbNodeGroupId);
    const { settings } = deps;
    const context = {
      region: settings.region,
      clusterId: observed.cluster.clusterId,
      tidbNodeGroupId: observed.tidbNodeGroupId,
      create: {
        vpcId: settings.vpcId,
        serviceName: observed.service?.serviceName ?? '<service>',
        securityGroupIds: settings.securityGroupIds,
        tags: endpointTags(observed, settings),
      },
    };
    const planned: PlannedAction = { ...action, equivalent: equivalentOf(action, context) };
    if (action.type === 'enable-private-dns' && this.#assumed.has(key)) planned.when = AFTER_ACCEPTANCE;
    if (action.type === 'register-connection' && observed.connection?.endpointState !== 'ACTIVE') {
      this.#assumed.add(key);
    }
    this.#planned.set(key, [...(this.#planned.get(key) ?? []), planned]);
    const at = new Date(deps.clock.now()).toISOString();
    return { kind: 'applied', applied: { ...action, at }, observed: projected(deps, observed, action) };
  };

  /**
   * The outcome a dry run reports: nothing taken (`actions` empty), the plan in `plannedActions`. A cluster
   * with steps ahead is Progressing, whatever the projection reached.
   */
  outcomeOf(outcome: ProvisionOutcome): ProvisionOutcome {
    const plannedActions = this.#planned.get(keyOf(outcome.clusterId, outcome.tidbNodeGroupId)) ?? [];
    const vpcEndpointId = outcome.vpcEndpointId === NEW_ENDPOINT_ID ? null : outcome.vpcEndpointId;
    const result: ProvisionOutcome = { ...outcome, vpcEndpointId, actions: [], plannedActions };
    if (plannedActions.length > 0 && outcome.phase === 'Ready') {
      return {
        ...result,
        phase: 'Progressing',
        waitingFor: 'the planned actions (dry run: nothing was changed)',
      };
    }
    return result;
  }
}
