/**
 * The EventBridge rules `serverless package` generates match the events the code really emits, proven on
 * moto: each rule's EventPattern from the CloudFormation template goes onto a bus with an SQS target, the
 * events go out through the real EventBridgeAdapter, and the test reads what arrived.
 *
 * The provision rule is fed everything a scheduled reconcile of a real local world emits (one cluster that
 * becomes Ready, one that is Blocked); the troubleshoot rule gets the request as `events/` documents it.
 * moto's matcher honours plain string lists and `prefix`; other operators pass vacuously (see
 * testing/moto-world.ts), so the test also pins the patterns to plain string lists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AppEvent, DETAIL_TYPES } from '../../functions/core/ports.ts';
import { reconcileAll } from '../../functions/core/reconcile/reconcile.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  createSandboxClients,
  deliveredEvents,
  destroySandboxClients,
  type SandboxClients,
} from '../../testing/moto-world.ts';
import { type CfnResource, type PackagedStack, packageStack } from '../../testing/serverless-package.ts';
import { startWorld, type World } from '../../testing/world.ts';

const SOURCE = 'tidb-privatelink';
/** The troubleshoot rule admits the app's source plus PRIVATELINK_TROUBLESHOOT_SOURCES: the sample's, here. */
const ALLOWED_REQUESTER = 'my-platform.oncall';
const HOUR = 3_600_000;
const TROUBLESHOOT_SAMPLE = fileURLToPath(
  new URL('../../events/troubleshoot-requested.json', import.meta.url),
);

interface PatternRule {
  logicalId: string;
  /** The function the rule invokes, from its target's `Fn::GetAtt` (e.g. `ProvisionLambdaFunction`). */
  target: string;
  pattern: Record<string, unknown>;
}

let stack: PackagedStack;
let rules: PatternRule[];
let clients: SandboxClients;
let world: World;
/** Everything one scheduled reconcile published, in order. */
let reconcileEvents: AppEvent[];

/** The reconcile publishes its own events: PutEvents under its packaged role, on the bus it was packaged with. */
const asReconcile = {
  publisher: async (bus: string) => (await sandboxPrincipals({ eventBus: bus })).as('reconcile'),
};

beforeAll(async () => {
  clients = createSandboxClients({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  const [packaged] = await Promise.all([
    packageStack({ PRIVATELINK_TROUBLESHOOT_SOURCES: ALLOWED_REQUESTER }),
    runScheduledReconcile(),
  ]);
  stack = packaged;
  rules = patternRules(stack.template.Resources);
}, 120_000);

afterAll(async () => {
  if (clients) destroySandboxClients(clients);
  await world?.close();
  if (stack) await rm(stack.dir, { recursive: true, force: true });
});

/** The real reconcile over the local world: one cluster converges to Ready, one is Blocked (no usable AZ). */
async function runScheduledReconcile(): Promise<void> {
  world = await startWorld();
  world.addCluster({ displayName: 'orders' });
  world.addCluster({ displayName: 'stranded', availableZones: ['use1-az6'] });
  await reconcileAll(world.deps, { deadline: world.clock.now() + HOUR });
  reconcileEvents = [...world.events.published];
}

function patternRules(resources: Record<string, CfnResource>): PatternRule[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::Events::Rule' && resource.Properties.EventPattern)
    .map(([logicalId, resource]) => {
      const targets = (resource.Properties.Targets ?? []) as Array<{ Arn?: { 'Fn::GetAtt'?: string[] } }>;
      const functions = targets.map((target) => target.Arn?.['Fn::GetAtt']?.[0] ?? '?');
      if (functions.length !== 1) {
        throw new Error(`rule ${logicalId} has ${functions.length} targets; this test expects one function`);
      }
      return {
        logicalId,
        target: functions[0] ?? '?',
        pattern: resource.Properties.EventPattern as Record<string, unknown>,
      };
    });
}

function ruleFor(target: string): PatternRule {
  const found = rules.filter((rule) => rule.target === target);
  expect(found, `EventPattern rules targeting ${target}`).toHaveLength(1);
  return found[0] as PatternRule;
}

/** The troubleshoot request as `events/troubleshoot-requested.json` has it, else as the design describes it. */
function troubleshootRequest(): { event: AppEvent; source: string } {
  if (existsSync(TROUBLESHOOT_SAMPLE)) {
    const sample = JSON.parse(readFileSync(TROUBLESHOOT_SAMPLE, 'utf8')) as {
      'detail-type': string;
      source: string;
      detail: AppEvent['detail'];
    };
    return {
      event: { detailType: sample['detail-type'] as AppEvent['detailType'], detail: sample.detail },
      source: sample.source,
    };
  }
  return {
    event: {
      detailType: DETAIL_TYPES.troubleshootRequested,
      detail: { clusterId: '1379661944646413143' } as AppEvent['detail'],
    },
    source: SOURCE,
  };
}

describe('the packaged stack', () => {
  it('has exactly the EventPattern rules this test covers, each a string match moto evaluates', () => {
    expect(rules.map((rule) => rule.target).sort()).toEqual([
      'ProbeLambdaFunction',
      'ProvisionLambdaFunction',
      'TroubleshootLambdaFunction',
    ]);
    for (const rule of rules) {
      // Only lists of strings at the top: an operator object (`anything-but`, `wildcard`, …) moto may not
      // evaluate would make the delivery tests below vacuous. The one operator used, the provision rule's
      // `detail.handledBy` `exists: false`, is shown to filter on moto below, both ways.
      for (const [field, values] of Object.entries(rule.pattern)) {
        if (field === 'detail') {
          expect(rule.target).toBe('ProvisionLambdaFunction');
          expect(values).toEqual({ handledBy: [{ exists: false }] });
          continue;
        }
        expect(Array.isArray(values), `${rule.logicalId}.${field} is a list`).toBe(true);
        for (const value of values as unknown[])
          expect(typeof value, `${rule.logicalId}.${field}`).toBe('string');
      }
    }
  });
});

describe('provision rule (TiDB Cluster Detected → provision)', () => {
  it('the scheduled reconcile emitted detections, progress, Ready and Blocked (so every case below is real)', () => {
    const types = new Set(reconcileEvents.map((event) => event.detailType));
    expect(types).toEqual(
      new Set([
        DETAIL_TYPES.clusterDetected,
        DETAIL_TYPES.provisioningProgressed,
        DETAIL_TYPES.endpointReady,
        DETAIL_TYPES.provisioningBlocked,
      ]),
    );
    expect(world.events.ofType(DETAIL_TYPES.clusterDetected)).toHaveLength(2);
  });

  it("does not receive the scheduled reconcile's own detections: it handles them in the same pass", async () => {
    const { pattern } = ruleFor('ProvisionLambdaFunction');
    const detected = world.events.ofType(DETAIL_TYPES.clusterDetected);
    expect(detected.map((event) => event.detail.handledBy)).toEqual(detected.map(() => 'reconcile'));

    expect(await deliveredEvents(clients, pattern, reconcileEvents, asReconcile)).toEqual([]);
  });

  it('receives every TiDB Cluster Detected from elsewhere (no handledBy), detail intact', async () => {
    const { pattern } = ruleFor('ProvisionLambdaFunction');
    const detected = world.events
      .ofType(DETAIL_TYPES.clusterDetected)
      .map(({ detailType, detail: { handledBy: _handled, ...detail } }) => ({ detailType, detail }));

    const delivered = await deliveredEvents(clients, pattern, [...detected, ...reconcileEvents], asReconcile);

    expect(delivered.map((event) => event['detail-type'])).toEqual(
      detected.map(() => 'TiDB Cluster Detected'),
    );
    expect(delivered.map((event) => event.source)).toEqual(detected.map(() => SOURCE));
    // The provision handler reads clusterId and tidbNodeGroupId (19-20 digit strings) from the detail.
    expect(delivered.map((event) => event.detail)).toEqual(detected.map((event) => event.detail));
    for (const event of delivered) {
      expect(event.detail.clusterId).toMatch(/^\d{19,20}$/);
      expect(typeof event.detail.tidbNodeGroupId).toBe('string');
    }
  });

  it('does not receive PrivateLink Endpoint Ready or PrivateLink Provisioning Blocked', async () => {
    const { pattern } = ruleFor('ProvisionLambdaFunction');
    const outcomes = [
      ...world.events.ofType(DETAIL_TYPES.endpointReady),
      ...world.events.ofType(DETAIL_TYPES.provisioningBlocked),
    ];
    expect(outcomes).toHaveLength(2);

    expect(await deliveredEvents(clients, pattern, outcomes, asReconcile)).toEqual([]);
  });

  it('does not receive a TiDB Cluster Detected from another source', async () => {
    const { pattern } = ruleFor('ProvisionLambdaFunction');
    const detected = world.events.ofType(DETAIL_TYPES.clusterDetected);

    expect(await deliveredEvents(clients, pattern, detected, { source: 'someone-else' })).toEqual([]);
  });
});

describe('troubleshoot rule (PrivateLink Troubleshoot Requested → troubleshoot)', () => {
  it('receives a troubleshoot request with the cluster in its detail', async () => {
    const { pattern } = ruleFor('TroubleshootLambdaFunction');
    const { event, source } = troubleshootRequest();
    expect(event.detailType).toBe(DETAIL_TYPES.troubleshootRequested);
    expect(event.detail.clusterId).toMatch(/^\d{19,20}$/);

    const delivered = await deliveredEvents(clients, pattern, [event], { source });

    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      'detail-type': 'PrivateLink Troubleshoot Requested',
      source,
      detail: event.detail,
    });
  });

  it('receives the request from the app itself too (source tidb-privatelink)', async () => {
    const { pattern } = ruleFor('TroubleshootLambdaFunction');
    const { event } = troubleshootRequest();

    const delivered = await deliveredEvents(clients, pattern, [event], { source: SOURCE });

    expect(delivered.map((delivery) => delivery.detail)).toEqual([event.detail]);
  });

  it('does not receive a request from a source PRIVATELINK_TROUBLESHOOT_SOURCES does not list', async () => {
    const { pattern } = ruleFor('TroubleshootLambdaFunction');
    const { event, source } = troubleshootRequest();
    expect(source).toBe(ALLOWED_REQUESTER);

    expect(await deliveredEvents(clients, pattern, [event], { source: 'someone-else.automation' })).toEqual(
      [],
    );
  });

  it('does not receive PrivateLink Probe Completed (nor anything a reconcile emits)', async () => {
    const { pattern } = ruleFor('TroubleshootLambdaFunction');
    const probeCompleted: AppEvent = {
      detailType: DETAIL_TYPES.probeCompleted,
      detail: { clusterId: '1379661944646413143', tidbNodeGroupId: '1934178998036000000', healthy: false },
    };

    expect(await deliveredEvents(clients, pattern, [probeCompleted, ...reconcileEvents])).toEqual([]);
  });
});

describe('probe-on-Ready rule (PrivateLink Endpoint Ready → probe)', () => {
  it('receives exactly the Endpoint Ready events of a scheduled reconcile, with the cluster in the detail', async () => {
    const { pattern } = ruleFor('ProbeLambdaFunction');
    const ready = world.events.ofType(DETAIL_TYPES.endpointReady);
    expect(ready).toHaveLength(1);

    const delivered = await deliveredEvents(clients, pattern, reconcileEvents, asReconcile);

    expect(delivered.map((event) => event['detail-type'])).toEqual(['PrivateLink Endpoint Ready']);
    expect(delivered.map((event) => event.detail)).toEqual(ready.map((event) => event.detail));
    expect(delivered[0]?.detail.clusterId).toMatch(/^\d{19,20}$/);
  });

  it('does not receive an Endpoint Ready from another source', async () => {
    const { pattern } = ruleFor('ProbeLambdaFunction');
    const ready = world.events.ofType(DETAIL_TYPES.endpointReady);
    expect(await deliveredEvents(clients, pattern, ready, { source: 'someone-else' })).toEqual([]);
  });
});
