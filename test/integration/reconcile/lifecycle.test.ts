/**
 * docs/contracts.md "Lifecycle and failure semantics" end to end: the TiDB Cloud simulator over HTTP and the EC2 fake,
 * driven through the real reconcile core.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../../functions/core/errors.ts';
import {
  CLUSTER_ID_TAG,
  type ConnectionState,
  MANAGED_BY_TAG,
  STACK_TAG,
  SUBNET_CONFIG_TAG,
} from '../../../functions/core/model.ts';
import { type AppEvent, DETAIL_TYPES, type EventsPort } from '../../../functions/core/ports.ts';
import { subnetConfigOf } from '../../../functions/core/reconcile/identity.ts';
import { provision, reconcileAll } from '../../../functions/core/reconcile/reconcile.ts';
import { PASS_READ_BACKOFF_MS } from '../../../functions/core/reconcile/retry-read.ts';
import type { Ec2Operation, TokenReplay } from '../../../testing/ec2-fake.ts';
import { startWorld, type World, type WorldOptions } from '../../../testing/world.ts';

const HOUR = 3_600_000;

let world: World;

async function restart(options: WorldOptions): Promise<void> {
  await world.close();
  world = await startWorld(options);
}

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  await world.close();
});

const waitUntil = () => ({ deadline: world.clock.now() + HOUR });

/** Fails `operation` as often as the pass retries it and once more: the failure outlives the pass's retries. */
function failPastRetries(operation: Ec2Operation, error: () => AwsError): void {
  for (let attempt = 0; attempt <= PASS_READ_BACKOFF_MS.length; attempt++)
    world.ec2.failNext(operation, error());
}

const internalError = () =>
  new AwsError('InternalError', 'An internal error has occurred', { fault: 'server' });

/** The world's events port (the reconcile role's), failing the publishes `fails` picks with InternalError. */
function failingEvents(fails: (events: AppEvent[]) => boolean): EventsPort {
  return {
    publish: (events, options) =>
      fails(events) ? Promise.reject(internalError()) : world.deps.events.publish(events, options),
  };
}

const detectedIds = () =>
  world.events.ofType(DETAIL_TYPES.clusterDetected).map((event) => String(event.detail.clusterId));

async function liveEndpoints() {
  return (await world.ec2.listManagedEndpoints()).filter((e) => !['deleted', 'deleting'].includes(e.state));
}

describe('one cluster never stops the others', () => {
  it('a cluster whose API calls keep failing is Error; the two others are Ready in the same pass', async () => {
    const [a, broken, c] = [world.addCluster(), world.addCluster(), world.addCluster()];
    world.sim.faults.failPath(`/clusters/${broken?.clusterId}/`, 503);

    const outcomes = await reconcileAll(world.deps, waitUntil());

    const phaseOf = (id: string | undefined) => outcomes.find((o) => o.clusterId === id)?.phase;
    expect(outcomes).toHaveLength(3);
    expect([phaseOf(a?.clusterId), phaseOf(c?.clusterId)]).toEqual(['Ready', 'Ready']);
    const failed = outcomes.find((o) => o.clusterId === broken?.clusterId);
    expect(failed).toMatchObject({
      phase: 'Error',
      error: { code: 'TIDB_UNAVAILABLE', message: expect.stringContaining('HTTP 503') },
    });
    // Transient: not Blocked, so no Blocked event and no person paged.
    expect(world.events.ofType(DETAIL_TYPES.provisioningBlocked)).toHaveLength(0);
  });

  it('an AWS throttle that outlived the retries is Error for this pass, then converges next pass', async () => {
    const cluster = world.addCluster();
    failPastRetries(
      'CreateVpcEndpoint',
      () => new AwsError('RequestLimitExceeded', 'Request limit exceeded.'),
    );
    const first = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(first).toMatchObject({ phase: 'Error', error: { code: 'RequestLimitExceeded' } });
    const second = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(second.phase).toBe('Ready');
  });

  it.each([
    ['InternalError', 'An internal error has occurred'],
    ['ECONNRESET', 'socket hang up'],
  ])('AWS %s is Error, never Blocked', async (code, message) => {
    const cluster = world.addCluster();
    failPastRetries('DescribeSubnets', () => new AwsError(code, message));
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Error', error: { code, message } });
  });

  it('a cluster in Error for a transient failure is tried again in the next pass of the same run', async () => {
    const cluster = world.addCluster();
    failPastRetries('CreateVpcEndpoint', internalError);
    const [outcome] = await reconcileAll(world.deps, waitUntil());
    expect(outcome).toMatchObject({ clusterId: cluster.clusterId, phase: 'Ready' });
    expect(world.ec2.peekEndpoints()).toHaveLength(1);
  });

  // One pass (no deadline): before these reads and changes were retried inside the pass, each failure
  // cost the cluster the whole pass (Error, and in the CLI or a tick, a minute).
  it.each<[Ec2Operation, boolean]>([
    ['DescribeSubnets', false],
    ['DescribeAvailabilityZones', false],
    ['DescribeVpcAttribute', false],
    ['DescribeVpcEndpointServices', false],
    ['CreateVpcEndpoint', false],
    ['CreateVpcEndpoint', true],
  ])(
    '%s failing (after the change: %s) is retried inside the pass: the endpoint is made in that pass',
    async (operation, afterSideEffect) => {
      const cluster = world.addCluster();
      world.ec2.failNext(operation, internalError(), { afterSideEffect });
      const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
      expect(outcome).toMatchObject({ phase: 'Progressing', vpcEndpointId: expect.stringMatching(/^vpce-/) });
      expect(outcome.actions.map((action) => action.type)).toContain('create-endpoint');
      expect(await liveEndpoints()).toHaveLength(1);
    },
  );

  it('a shared read that outlived its retries fails only the clusters waiting on it; later ones read again', async () => {
    // At most four clusters run at once, so the fifth starts only after one of them ended, which none can
    // before the first VPC read failed for good: it reads again, rather than inherit that failure.
    const clusters = Array.from({ length: 5 }, () => world.addCluster());
    failPastRetries('DescribeSubnets', internalError);
    const outcomes = await reconcileAll(world.deps);
    const phases = clusters.map((c) => outcomes.find((o) => o.clusterId === c.clusterId)?.phase);
    const errors = phases.filter((phase) => phase === 'Error').length;
    expect(errors).toBeGreaterThanOrEqual(1);
    expect(errors).toBeLessThanOrEqual(4);
    expect(phases.filter((phase) => phase === 'Progressing')).toHaveLength(5 - errors);
  });

  it('a permanent refusal of a per-cluster read is not retried: Blocked at once', async () => {
    const cluster = world.addCluster();
    const denied = () =>
      new AwsError('UnauthorizedOperation', 'You are not authorized.', { fault: 'client' });
    world.ec2.failNext('DescribeVpcEndpointServices', denied());
    const started = world.clock.now();
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'API_REFUSED' });
    expect(world.clock.now() - started).toBeLessThan(PASS_READ_BACKOFF_MS[0] ?? 0);
  });

  it('an event publish that fails once is sent again inside the pass: no event lost, the run succeeds', async () => {
    const clusters = [world.addCluster(), world.addCluster()];
    let publishes = 0;
    const events = failingEvents(() => ++publishes === 1);
    await reconcileAll({ ...world.deps, events });
    expect(detectedIds().sort()).toEqual(clusters.map((c) => c.clusterId).sort());
  });

  it('a publish that keeps failing for one cluster does not starve the others; the run then fails with it', async () => {
    const [unlucky, ...others] = Array.from({ length: 6 }, () => world.addCluster());
    const events = failingEvents((batch) => batch.some((e) => e.detail.clusterId === unlucky?.clusterId));
    await expect(reconcileAll({ ...world.deps, events })).rejects.toMatchObject({ awsCode: 'InternalError' });
    expect(detectedIds().sort()).toEqual(others.map((c) => c.clusterId).sort());
  });

  it('a managed-endpoint listing that fails twice is retried inside the pass: every cluster Ready', async () => {
    const clusters = [world.addCluster(), world.addCluster()];
    const internal = () =>
      new AwsError('InternalError', 'An internal error has occurred', { fault: 'server' });
    world.ec2.failNext('DescribeVpcEndpoints', internal());
    world.ec2.failNext('DescribeVpcEndpoints', internal());
    const started = world.clock.now();
    const outcomes = await reconcileAll(world.deps, waitUntil());
    expect(outcomes.map((o) => o.phase)).toEqual(clusters.map(() => 'Ready'));
    // The backoff before the answer (1 s + 2 s) is spent on the pass's clock, not on a tick.
    expect(world.clock.now() - started).toBeGreaterThanOrEqual(3_000);
  });

  it('a listing that keeps failing stops the pass with its own error, after the backoff', async () => {
    world.addCluster();
    for (let i = 0; i < 4; i++)
      world.ec2.failNext(
        'DescribeVpcEndpoints',
        new AwsError('InternalError', 'An internal error', { fault: 'server' }),
      );
    await expect(reconcileAll(world.deps, waitUntil())).rejects.toMatchObject({ awsCode: 'InternalError' });
  });

  it('a later pass whose listing fails for good keeps what the earlier passes did', async () => {
    const cluster = world.addCluster();
    let passes = 0;
    const failing = new Proxy(world.deps.ec2, {
      get(target, property, receiver) {
        if (property !== 'listManagedEndpoints') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<typeof target.listManagedEndpoints>) => {
          // The first pass lists; every later one meets an outage no backoff outlives.
          if (++passes > 1) throw new AwsError('InternalError', 'An internal error', { fault: 'server' });
          return target.listManagedEndpoints(...args);
        };
      },
    });
    const [outcome] = await reconcileAll({ ...world.deps, ec2: failing }, waitUntil());
    expect(outcome).toMatchObject({
      clusterId: cluster.clusterId,
      phase: 'Error',
      error: { code: 'InternalError' },
      vpcEndpointId: expect.stringMatching(/^vpce-/),
    });
    expect(outcome?.actions.map((action) => action.type)).toContain('create-endpoint');
  });

  it('a permission refusal from AWS is Blocked with AWS text, not retried as transient', async () => {
    const cluster = world.addCluster();
    const text = 'You are not authorized to perform this operation. Encoded authorization failure message: x';
    world.ec2.failNext('DescribeSubnets', new AwsError('UnauthorizedOperation', text, { fault: 'client' }));
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'API_REFUSED', message: text });
    expect(await liveEndpoints()).toHaveLength(0);
  });
});

describe('duplicate registration answered with 409', () => {
  it('two concurrent provisions against a 409-answering API make one endpoint and one connection', async () => {
    await restart({ simulator: { duplicateConnectionStatus: 409 } });
    const cluster = world.addCluster();
    const [a, b] = await Promise.all([
      provision(world.deps, { clusterId: cluster.clusterId }, waitUntil()),
      provision(world.deps, { clusterId: cluster.clusterId }, waitUntil()),
    ]);
    expect([a.phase, b.phase]).toEqual(['Ready', 'Ready']);
    expect(world.sim.requests.some((r) => r.operation === 'createConnection' && r.status === 409)).toBe(true);
    expect(await world.sim.connections()).toHaveLength(1);
  });
});

describe('a connection TiDB Cloud lists as DISCOVERED', () => {
  it('is registered once; the duplicate answer is resolved by adopting what TiDB shows', async () => {
    const cluster = world.addCluster();
    // TiDB discovers the endpoint the moment it exists, and answers a registration of it as a duplicate.
    world.ec2.onEndpointCreated((endpoint) => {
      world.sim.seedConnection({
        clusterId: cluster.clusterId,
        endpointId: endpoint.vpcEndpointId,
        endpointState: 'DISCOVERED',
      });
    });

    const outcome = await provision(
      world.deps,
      { clusterId: cluster.clusterId },
      { deadline: world.clock.now() + 60_000 },
    );

    const registrations = world.sim.requests.filter((r) => r.operation === 'createConnection');
    expect(registrations).toHaveLength(1);
    expect(outcome.phase).toBe('Progressing');
    expect(outcome.waitingFor).toContain('DISCOVERED');
    expect(outcome.actions.map((a) => a.type)).toEqual(['create-endpoint', 'register-connection']);
    expect(outcome.actions[1]).toMatchObject({ adopted: true, vpcEndpointId: outcome.vpcEndpointId });
    expect(await world.sim.connections()).toHaveLength(1);
  });
});

describe('endpoint identity', () => {
  it('Ready → endpoint deleted in AWS → provision → a new endpoint, registered, Ready', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(first.phase).toBe('Ready');
    world.ec2.deleteEndpoint(first.vpcEndpointId ?? '');
    // TiDB notices the endpoint is gone and drops its registration, as the real service does.
    const [old] = await world.sim.connections();
    world.sim.setConnectionState(old?.privateEndpointConnectionId ?? '', 'DELETING');

    const again = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());

    expect(again.phase).toBe('Ready');
    expect(again.vpcEndpointId).not.toBe(first.vpcEndpointId);
    expect(again.actions.map((a) => a.type)).toEqual([
      'create-endpoint',
      'register-connection',
      'enable-private-dns',
    ]);
    expect((await liveEndpoints()).map((e) => e.vpcEndpointId)).toEqual([again.vpcEndpointId]);
    const connections = await world.sim.connections();
    expect(connections.find((c) => c.endpointId === again.vpcEndpointId)?.endpointState).toBe('ACTIVE');
  });

  it('rejected → Blocked, never re-created; deleted by the user → provision → Ready', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId });
    const rejectedId = first.vpcEndpointId ?? '';
    world.ec2.reject(rejectedId);
    for (let i = 0; i < 2; i++) {
      const blocked = await provision(world.deps, { clusterId: cluster.clusterId });
      expect(blocked).toMatchObject({ phase: 'Blocked', reason: 'ENDPOINT_REJECTED' });
      expect(blocked.remediation).toContain(`delete-vpc-endpoints --vpc-endpoint-ids ${rejectedId}`);
    }
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(1);

    world.ec2.deleteEndpoint(rejectedId);
    const [old] = await world.sim.connections();
    world.sim.setConnectionState(old?.privateEndpointConnectionId ?? '', 'DELETING');
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome.phase).toBe('Ready');
    expect(outcome.vpcEndpointId).not.toBe(rejectedId);
  });

  it('follows the chain past every earlier deletion: a third endpoint after two deletions', async () => {
    const cluster = world.addCluster();
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
      seen.push(outcome.vpcEndpointId ?? '');
      world.ec2.deleteEndpoint(outcome.vpcEndpointId ?? '');
    }
    expect(new Set(seen).size).toBe(3);
    // Round n replays the n-1 deleted endpoints before creating: 1 + 2 + 3 create calls.
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(6);
  });

  it('concurrent re-creates after a deletion still agree on one new endpoint', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId });
    world.ec2.deleteEndpoint(first.vpcEndpointId ?? '');
    const [a, b] = await Promise.all([
      provision(world.deps, { clusterId: cluster.clusterId }),
      provision(world.deps, { clusterId: cluster.clusterId }),
    ]);
    expect(a.vpcEndpointId).toBe(b.vpcEndpointId);
    expect(await liveEndpoints()).toHaveLength(1);
  });

  it.each(['reconcile', 'provision'] as const)(
    'a subnet added to the configuration: the live endpoint gains it, no second endpoint (as the %s)',
    async (fn) => {
      // The function's own view: its packaged role decides the subnet move and the configuration tag.
      const deps = await world.depsFor(fn);
      const cluster = world.addCluster({ availableZones: ['use1-az1', 'use1-az4', 'use1-az6'] });
      const first = await provision(deps, { clusterId: cluster.clusterId }, waitUntil());
      const az6 = world.ec2.createSubnet({
        vpcId: world.ec2.world.vpcId,
        availabilityZoneId: 'use1-az6',
        cidrBlock: '10.0.64.0/20',
      });
      world.settings.subnetIds = [...world.settings.subnetIds, az6];

      const outcome = await provision(deps, { clusterId: cluster.clusterId }, waitUntil());

      expect(outcome).toMatchObject({ phase: 'Ready', vpcEndpointId: first.vpcEndpointId });
      expect(outcome.actions).toEqual([
        expect.objectContaining({
          type: 'modify-endpoint-subnets',
          addSubnetIds: [az6],
          removeSubnetIds: [],
        }),
      ]);
      const endpoints = await liveEndpoints();
      expect(endpoints).toHaveLength(1);
      expect(endpoints[0]?.subnetIds).toContain(az6);
      expect(world.ec2.calls.CreateVpcEndpoint).toBe(1);
      // Remembered: the next pass is converged and cheap again.
      world.ec2.resetCalls();
      const third = await provision(deps, { clusterId: cluster.clusterId });
      expect(third).toMatchObject({ phase: 'Ready', actions: [] });
      expect(world.ec2.calls.ModifyVpcEndpoint + world.ec2.calls.DescribeSubnets).toBe(0);
    },
  );

  it('a subnet removed from the configuration leaves the live endpoint', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    const az4 = world.ec2.world.subnetIdByZoneId['use1-az4'] ?? '';
    world.settings.subnetIds = world.settings.subnetIds.filter((id) => id !== az4);
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome.phase).toBe('Ready');
    const endpoints = await liveEndpoints();
    expect(endpoints.map((e) => e.vpcEndpointId)).toEqual([first.vpcEndpointId]);
    expect(endpoints[0]?.subnetIds).not.toContain(az4);
  });
});

describe("endpoint identity when EC2 replays a deleted endpoint's token", () => {
  const modes: Array<[string, TokenReplay, { forget?: boolean }]> = [
    ['the endpoint as it is now (deleted)', { mode: 'current' }, {}],
    ['the original response, the endpoint listed as deleted', { mode: 'original' }, {}],
    ['the original response, the endpoint no longer listed', { mode: 'original' }, { forget: true }],
    ['an error naming the endpoint', { mode: 'error' }, {}],
    ['an error naming the endpoint, the endpoint no longer listed', { mode: 'error' }, { forget: true }],
  ];

  /** Provisions to Ready, then deletes the endpoint in AWS as a user would; TiDB drops its registration. */
  async function readyThenDeleted(clusterId: string, forget = false): Promise<string> {
    const outcome = await provision(world.deps, { clusterId }, waitUntil());
    expect(outcome.phase).toBe('Ready');
    const id = outcome.vpcEndpointId ?? '';
    world.ec2.deleteEndpoint(id);
    if (forget) {
      // EC2 lists a deleted endpoint for a while before it forgets it.
      await world.clock.sleep(HOUR);
      world.ec2.forgetEndpoint(id);
    }
    for (const connection of await world.sim.connections()) {
      if (connection.endpointId === id)
        world.sim.setConnectionState(connection.privateEndpointConnectionId, 'DELETING');
    }
    return id;
  }

  it.each(modes)(
    '%s: a new endpoint after each of two deletions, Ready',
    async (_, tokenReplay, { forget }) => {
      await restart({ ec2: { tokenReplay } });
      const cluster = world.addCluster();
      const gone = [
        await readyThenDeleted(cluster.clusterId, forget),
        await readyThenDeleted(cluster.clusterId, forget),
      ];
      const third = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
      expect(third.phase).toBe('Ready');
      expect(new Set([...gone, third.vpcEndpointId]).size).toBe(3);
      expect((await liveEndpoints()).map((e) => e.vpcEndpointId)).toEqual([third.vpcEndpointId]);
    },
  );

  it.each(modes)(
    '%s: concurrent re-creates agree on one new endpoint',
    async (_, tokenReplay, { forget }) => {
      await restart({ ec2: { tokenReplay } });
      const cluster = world.addCluster();
      await readyThenDeleted(cluster.clusterId, forget);
      const [a, b] = await Promise.all([
        provision(world.deps, { clusterId: cluster.clusterId }),
        provision(world.deps, { clusterId: cluster.clusterId }),
      ]);
      expect(a.vpcEndpointId).toBe(b.vpcEndpointId);
      expect(await liveEndpoints()).toHaveLength(1);
    },
  );

  it('an error EC2 does not tie to the token: the dead token is retired once, the same way in every run', async () => {
    await restart({ ec2: { tokenReplay: { mode: 'error', errorCode: 'InvalidParameter' } } });
    const cluster = world.addCluster();
    const gone = await readyThenDeleted(cluster.clusterId);
    const [a, b] = await Promise.all([
      provision(world.deps, { clusterId: cluster.clusterId }, waitUntil()),
      provision(world.deps, { clusterId: cluster.clusterId }, waitUntil()),
    ]);
    expect([a.phase, b.phase]).toEqual(['Ready', 'Ready']);
    expect(a.vpcEndpointId).toBe(b.vpcEndpointId);
    expect(a.vpcEndpointId).not.toBe(gone);
  });

  it('a request AWS refuses for itself is Blocked after at most one retired token, not a chain', async () => {
    const cluster = world.addCluster();
    const text = 'The VPC endpoint service does not support the availability zone of the subnet: subnet-0x.';
    world.ec2.failNext('CreateVpcEndpoint', new AwsError('InvalidParameter', text, { fault: 'client' }));
    world.ec2.failNext('CreateVpcEndpoint', new AwsError('InvalidParameter', text, { fault: 'client' }));
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });
    expect(outcome).toMatchObject({ phase: 'Blocked', reason: 'ENDPOINT_CREATE_FAILED' });
    expect(world.ec2.calls.CreateVpcEndpoint).toBe(2);
  });
});

describe('order AWS does not promise', () => {
  it('two configured subnets in one AZ: every run chooses and sends the same, so one endpoint', async () => {
    const cluster = world.addCluster();
    // A second subnet in use1-az1; the fake lists subnets in a new order on every call.
    const twin = world.ec2.createSubnet({
      vpcId: world.ec2.world.vpcId,
      availabilityZoneId: 'use1-az1',
      cidrBlock: '10.0.96.0/20',
    });
    world.settings.subnetIds = [...world.settings.subnetIds, twin];
    const runs = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => provision(world.deps, { clusterId: cluster.clusterId })),
    );
    expect(new Set(runs.map((run) => run.vpcEndpointId)).size).toBe(1);
    expect(runs.map((run) => run.phase)).not.toContain('Blocked');
    const [endpoint, ...others] = await liveEndpoints();
    expect(others).toEqual([]);
    const az1 = [world.ec2.world.subnetIdByZoneId['use1-az1'] ?? '', twin].sort()[0];
    expect(endpoint?.subnetIds).toContain(az1);
  });
});

describe('the subnet-config tag is bookkeeping', () => {
  const readyAndQuiet = async (clusterId: string) => {
    const published = world.events.published.length;
    const outcomes = await reconcileAll(world.deps);
    const outcome = outcomes.find((o) => o.clusterId === clusterId);
    expect(outcome).toMatchObject({ phase: 'Ready', actions: [] });
    expect(world.events.published.slice(published)).toEqual([]);
    return outcome;
  };

  it('a configuration change that leaves the subnets as they are: Ready, no action, no event, one CreateTags', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(first.phase).toBe('Ready');
    // A second subnet in use1-az1, which the endpoint already covers: nothing to change on the endpoint.
    const twin = world.ec2.createSubnet({
      vpcId: world.ec2.world.vpcId,
      availabilityZoneId: 'use1-az1',
      cidrBlock: '10.0.96.0/20',
    });
    world.settings.subnetIds = [...world.settings.subnetIds, twin];
    world.ec2.resetCalls();

    await readyAndQuiet(cluster.clusterId);

    expect(world.ec2.calls.ModifyVpcEndpoint).toBe(0);
    expect(world.ec2.calls.CreateTags).toBe(1);
    const [endpoint] = await liveEndpoints();
    expect(endpoint?.tags[SUBNET_CONFIG_TAG]).toBe(subnetConfigOf(world.settings.subnetIds));
    // Remembered: the next pass writes and reads nothing more.
    world.ec2.resetCalls();
    await readyAndQuiet(cluster.clusterId);
    expect(world.ec2.calls.CreateTags + world.ec2.calls.DescribeSubnets).toBe(0);
  });

  it('an endpoint from before the tag is tagged once, silently', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    await world.ec2.deleteTags(first.vpcEndpointId ?? '', [SUBNET_CONFIG_TAG]);
    world.ec2.resetCalls();

    await readyAndQuiet(cluster.clusterId);
    await readyAndQuiet(cluster.clusterId);

    expect(world.ec2.calls.CreateTags).toBe(1);
    expect(world.ec2.calls.ModifyVpcEndpoint).toBe(0);
  });

  it('is not written while a state outside the enums is seen', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    await world.ec2.deleteTags(first.vpcEndpointId ?? '', [SUBNET_CONFIG_TAG]);
    const [connection] = await world.sim.connections();
    world.sim.setConnectionState(
      connection?.privateEndpointConnectionId ?? '',
      'SUSPENDED' as ConnectionState,
    );
    world.ec2.resetCalls();

    const outcome = await provision(world.deps, { clusterId: cluster.clusterId });

    expect(outcome).toMatchObject({ phase: 'Progressing', actions: [] });
    expect(outcome.waitingFor).toContain('"SUSPENDED"');
    expect(world.ec2.mutatingCalls).toBe(0);
  });

  it('a refused tag write is a note, never Blocked, and is tried again next pass', async () => {
    const cluster = world.addCluster();
    const first = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    await world.ec2.deleteTags(first.vpcEndpointId ?? '', [SUBNET_CONFIG_TAG]);
    const text = 'You are not authorized to perform this operation.';
    world.ec2.failNext('CreateTags', new AwsError('UnauthorizedOperation', text, { fault: 'client' }));

    const refused = await readyAndQuiet(cluster.clusterId);

    expect(refused?.notes).toEqual([expect.stringContaining(text)]);
    world.ec2.resetCalls();
    const retried = await readyAndQuiet(cluster.clusterId);
    expect(retried?.notes).toBeUndefined();
    expect(world.ec2.calls.CreateTags).toBe(1);
  });

  it("new endpoints carry the stack tag; another stack's endpoint for the cluster is never touched", async () => {
    const cluster = world.addCluster();
    const other = await world.ec2.createInterfaceEndpoint({
      vpcId: world.ec2.world.vpcId,
      serviceName: cluster.serviceName,
      subnetIds: [world.ec2.world.subnetIdByZoneId['use1-az1'] ?? ''],
      securityGroupIds: [],
      clientToken: 'other-stack',
      tags: {
        [MANAGED_BY_TAG]: 'tidb-privatelink',
        [CLUSTER_ID_TAG]: cluster.clusterId,
        'tidb-privatelink:node-group-id': cluster.tidbNodeGroupId,
        [STACK_TAG]: 'someone-else',
      },
    });
    const outcome = await provision(world.deps, { clusterId: cluster.clusterId }, waitUntil());
    expect(outcome.phase).toBe('Ready');
    expect(outcome.vpcEndpointId).not.toBe(other.vpcEndpointId);
    const mine = (await liveEndpoints()).find((e) => e.vpcEndpointId === outcome.vpcEndpointId);
    expect(mine?.tags[STACK_TAG]).toBe('tidb-privatelink');
    const theirs = (await liveEndpoints()).find((e) => e.vpcEndpointId === other.vpcEndpointId);
    expect(theirs).toMatchObject({ state: 'pendingAcceptance', privateDnsEnabled: false });
  });
});
