/**
 * States outside the documented enums (a value TiDB Cloud or AWS adds later) never break the report: every
 * check that reads a state answers with a valid result that names the value verbatim. The property test
 * draws every documented value of every enum the doctor reads (TiDB's from the swagger itself, AWS's from
 * the EC2 API reference, the data plane's from its result type) and arbitrary strings, and validates the
 * whole report against the JSON Schema.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awsEndpointState } from '../../../../functions/core/diagnose/checks/aws-endpoint-state.ts';
import { tidbClusterState } from '../../../../functions/core/diagnose/checks/tidb-cluster-state.ts';
import { tidbConnectionState } from '../../../../functions/core/diagnose/checks/tidb-connection-state.ts';
import { tidbServiceReady } from '../../../../functions/core/diagnose/checks/tidb-service-ready.ts';
import { diagnose } from '../../../../functions/core/diagnose/doctor.ts';
import type {
  DataPlaneResult,
  DnsStatus,
  GreetingStatus,
  TcpStatus,
} from '../../../../functions/core/diagnose/ports.ts';
import { CHECK_IDS } from '../../../../functions/core/diagnose/report.ts';
import type {
  ClusterState,
  ConnectionState,
  PrivateLinkServiceState,
  VpcEndpointState,
} from '../../../../functions/core/model.ts';
import { schemaErrors } from '../../../../testing/report-schema.ts';
import { swaggerEnum } from '../../../../testing/tidbcloud-simulator/swagger.ts';
import {
  contextFor,
  fakeDataPlane,
  fakeEc2,
  fakeTidb,
  healthyProbe,
  healthyWorld,
  REQUEST,
  runCheck,
  type World,
} from './fakes.ts';

const CLUSTER_STATES = swaggerEnum('commonv1beta1ClusterState');
const SERVICE_STATES = swaggerEnum('dedicatedv1beta1PrivateLinkServiceState');
const CONNECTION_STATES = swaggerEnum('dedicatedv1beta1PrivateEndpointConnectionEndpointState');
/** EC2 `VpcEndpoint.State` (API reference), in the lower-camel spelling EC2 returns; `partial` is documented too. */
const ENDPOINT_STATES = [
  'pendingAcceptance',
  'pending',
  'available',
  'deleting',
  'deleted',
  'rejected',
  'failed',
  'expired',
  'partial',
];

/** Worlds carry model types; an undocumented value reaches the core exactly like this (mapping passes it). */
const unchecked = <T extends string>(value: string) => value as T;

function worldWith(states: { cluster: string; service: string; connection: string; endpoint: string }) {
  const world = healthyWorld();
  world.cluster.state = unchecked<ClusterState>(states.cluster);
  world.service.state = unchecked<PrivateLinkServiceState>(states.service);
  for (const connection of world.connections)
    connection.endpointState = unchecked<ConnectionState>(states.connection);
  for (const endpoint of world.endpoints) endpoint.state = unchecked<VpcEndpointState>(states.endpoint);
  return world;
}

const documented = { cluster: 'ACTIVE', service: 'ACTIVE', connection: 'ACTIVE', endpoint: 'available' };

describe('a state no enum documents', () => {
  const outcomeFor = async (check: Parameters<typeof runCheck>[0], world: World) =>
    runCheck(check, await contextFor(world));

  it.each([
    ['tidb.connection-state', tidbConnectionState, { connection: 'RECONCILING' }],
    ['tidb.cluster-state', tidbClusterState, { cluster: 'SCALING_OUT' }],
    ['tidb.service-ready', tidbServiceReady, { service: 'UPDATING' }],
    ['aws.endpoint-state', awsEndpointState, { endpoint: 'partial' }],
  ] as const)('%s warns, naming the value verbatim', async (_id, check, state) => {
    const value = Object.values(state)[0] ?? '';
    const outcome = await outcomeFor(check, worldWith({ ...documented, ...state }));
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain(`"${value}"`);
    expect(outcome.evidence).toMatchObject({ unknownState: value });
  });

  it('names even an empty or odd value verbatim in the connection check', async () => {
    for (const value of ['', 'pending "soon"', 'ÄKTIV ✓']) {
      const outcome = await outcomeFor(tidbConnectionState, worldWith({ ...documented, connection: value }));
      expect(outcome).toMatchObject({ status: 'warn', summary: expect.stringContaining(`"${value}"`) });
    }
  });
});

/** The data plane's own enums: its result crosses a Lambda invoke as JSON, possibly from another version. */
const DNS_STATUSES = ['answered', 'nxdomain', 'nodata', 'timeout', 'servfail', 'refused', 'error'];
const TCP_STATUSES = ['connected', 'refused', 'timeout', 'error'];
const GREETING_STATUSES = ['greeting', 'error-packet', 'not-mysql', 'closed', 'timeout', 'error'];

function probeWith(states: { dns: string; tcp: string; greeting: string }): DataPlaneResult {
  const probe = healthyProbe();
  probe.dns.status = states.dns as DnsStatus;
  for (const outcome of probe.tcp) outcome.status = states.tcp as TcpStatus;
  if (probe.handshake) probe.handshake.status = states.greeting as GreetingStatus;
  return probe;
}

describe('the report stays valid for every documented value and any other string', () => {
  const stateOf = (values: string[]) => fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 12 }));

  it('validates against schema/diagnostic-report.schema.json', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cluster: stateOf(CLUSTER_STATES),
          service: stateOf(SERVICE_STATES),
          connection: stateOf(CONNECTION_STATES),
          endpoint: stateOf(ENDPOINT_STATES),
        }),
        fc.record({
          dns: stateOf(DNS_STATUSES),
          tcp: stateOf(TCP_STATUSES),
          greeting: stateOf(GREETING_STATUSES),
        }),
        async (states, probeStates) => {
          const world = worldWith(states);
          const report = await diagnose(
            { tidb: fakeTidb(world), ec2: fakeEc2(world), dataPlane: fakeDataPlane(probeWith(probeStates)) },
            REQUEST,
          );
          expect(schemaErrors(report)).toEqual([]);
          expect(report.checks).toHaveLength(CHECK_IDS.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('covers every documented value at least once', async () => {
    const longest = Math.max(
      CLUSTER_STATES.length,
      SERVICE_STATES.length,
      CONNECTION_STATES.length,
      ENDPOINT_STATES.length,
    );
    for (let i = 0; i < longest; i += 1) {
      const pick = (values: string[]) => values[i % values.length] ?? '';
      const world = worldWith({
        cluster: pick(CLUSTER_STATES),
        service: pick(SERVICE_STATES),
        connection: pick(CONNECTION_STATES),
        endpoint: pick(ENDPOINT_STATES),
      });
      const report = await diagnose(
        { tidb: fakeTidb(world), ec2: fakeEc2(world), dataPlane: fakeDataPlane(healthyProbe()) },
        REQUEST,
      );
      expect(schemaErrors(report)).toEqual([]);
    }
  });
});
