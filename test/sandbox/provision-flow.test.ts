/**
 * The whole provisioning flow with the real adapters: the TiDB Cloud client against the simulator over HTTP,
 * the EC2 adapter against moto, events through the real EventBridge adapter into moto. moto accepts endpoints
 * at once and ignores ClientToken and the private-DNS flag; those are covered on the EC2 fake
 * (test/integration/reconcile/provision.test.ts).
 */
import { ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ec2Adapter } from '../../functions/adapters/aws/ec2.ts';
import { EventBridgeAdapter } from '../../functions/adapters/aws/eventbridge.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import { TidbCloudClient } from '../../functions/adapters/tidbcloud/client.ts';
import { CLUSTER_ID_TAG, MANAGED_BY_TAG, NODE_GROUP_ID_TAG } from '../../functions/core/model.ts';
import { provision, reconcileAll } from '../../functions/core/reconcile/reconcile.ts';
import {
  DEFAULT_PENDING_TIMEOUT_MIN,
  DEFAULT_STACK_NAME,
  type ReconcileDeps,
} from '../../functions/core/reconcile/types.ts';
import { SANDBOX_BUS, sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  ensureEventBus,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';
import { type Simulator, startSimulator } from '../../testing/tidbcloud-simulator/index.ts';

let clients: SandboxClients;
let reconcile: SandboxClients;
let moto: MotoWorld;
let sim: Simulator;
let deps: ReconcileDeps;

/** The stack's bus: the reconcile's role may publish only to the bus it was packaged with. */
const BUS = SANDBOX_BUS;

beforeAll(async () => {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  clients = createSandboxClients(config);
  moto = await buildMotoWorld(clients);
  sim = await startSimulator({ serviceReadyMs: 0, connectionAcceptMs: 300 });
  await ensureEventBus(clients, BUS);
  const placement = {
    vpcId: moto.vpcId,
    subnetIds: Object.values(moto.subnetIdByZoneId),
    securityGroupIds: [moto.securityGroupId],
  };
  // The reconcile's own clients: every call decided against its packaged role before moto sees it.
  const principals = await sandboxPrincipals({ placement });
  reconcile = createSandboxClients(config, { as: principals.as('reconcile') });
  deps = {
    tidb: new TidbCloudClient({ baseUrl: sim.url, publicKey: sim.publicKey, privateKey: sim.privateKey }),
    ec2: new Ec2Adapter(reconcile.ec2),
    events: new EventBridgeAdapter({
      client: reconcile.eventBridge,
      eventBusName: BUS,
      source: 'tidb-privatelink',
    }),
    clock: systemClock,
    settings: {
      region: 'us-east-1',
      ...placement,
      pollIntervalMs: 100,
      stackName: DEFAULT_STACK_NAME,
      pendingTimeoutMs: DEFAULT_PENDING_TIMEOUT_MIN * 60_000,
    },
  };
}, 120_000);

afterAll(async () => {
  await sim.close();
  destroySandboxClients(clients);
  destroySandboxClients(reconcile);
});

describe('provisioning against moto', () => {
  it('is Blocked on a new VPC (DNS hostnames off by default), then Ready once the printed fix is applied', async () => {
    // TiDB's side of the service is moto's real endpoint service, offered in use1-az1 and use1-az2.
    const cluster = sim.addCluster({
      serviceName: moto.provider.serviceName,
      availableZones: ['use1-az1', 'use1-az2'],
    });
    const blocked = await provision(deps, { clusterId: cluster.clusterId });
    expect(blocked).toMatchObject({ phase: 'Blocked', reason: 'VPC_DNS_ATTRIBUTES' });
    expect(blocked.remediation).toBe(
      `aws ec2 modify-vpc-attribute --vpc-id ${moto.vpcId} --enable-dns-hostnames '{"Value":true}'`,
    );
    expect(await deps.ec2.listManagedEndpoints({ [CLUSTER_ID_TAG]: cluster.clusterId })).toHaveLength(0);

    await clients.ec2.send(
      new ModifyVpcAttributeCommand({ VpcId: moto.vpcId, EnableDnsHostnames: { Value: true } }),
    );
    const outcome = await provision(
      deps,
      { clusterId: cluster.clusterId },
      { deadline: Date.now() + 30_000 },
    );

    expect(outcome).toMatchObject({ phase: 'Ready' });
    expect(outcome.actions.map((action) => action.type)).toEqual([
      'create-endpoint',
      'register-connection',
      'enable-private-dns',
    ]);
    const endpoints = await deps.ec2.listManagedEndpoints({ [CLUSTER_ID_TAG]: cluster.clusterId });
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]?.tags).toMatchObject({
      [MANAGED_BY_TAG]: 'tidb-privatelink',
      [NODE_GROUP_ID_TAG]: cluster.tidbNodeGroupId,
    });
    expect(endpoints[0]?.subnetIds.sort()).toEqual(
      [moto.subnetIdByZoneId['use1-az1'], moto.subnetIdByZoneId['use1-az2']].sort(),
    );
    const [connection] = (await sim.connections()).filter((c) => c.clusterId === cluster.clusterId);
    expect(connection).toMatchObject({ endpointId: endpoints[0]?.vpcEndpointId, endpointState: 'ACTIVE' });
  });

  it('a second reconcile of the same world creates nothing new', async () => {
    // moto is shared by every sandbox file: look only at this file's VPC.
    const inVpc = async () =>
      (await deps.ec2.listManagedEndpoints())
        .filter((e) => e.vpcId === moto.vpcId)
        .map((e) => e.vpcEndpointId);
    const before = await inVpc();
    expect(before).toHaveLength(1);
    await reconcileAll(deps, { deadline: Date.now() + 30_000 });
    expect((await inVpc()).sort()).toEqual(before.sort());
    expect(await sim.connections()).toHaveLength(1);
  });
});
