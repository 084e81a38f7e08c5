/**
 * Timeouts that fit together across the Lambda split. The troubleshoot handler runs here; the data-plane
 * handler runs in its own process behind a real LambdaClient and is killed with SIGKILL at its function timeout,
 * as Lambda does. The endpoint's security group does not admit the port, so the stand-in's filter drops the
 * SYNs: the report must name the drop (tcp.connect), not "could not read the data-plane probe".
 *
 * Every timeout is the deployed one (FUNCTION_TIMEOUTS_S, which the template test checks against the packaged
 * template) scaled down by one common factor, SCALE, so the test takes seconds instead of a minute; the budgets
 * are derived from the scaled timeouts exactly as from the deployed ones, so the ratios stay the template's.
 */
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LambdaDataPlane } from '../../../functions/adapters/aws/lambda-data-plane.ts';
import { PowertoolsProbeMetrics } from '../../../functions/adapters/powertools-metrics.ts';
import { budgetsFor, FUNCTION_TIMEOUTS_S, type FunctionTimeouts } from '../../../functions/app/budgets.ts';
import { createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import type { DiagnosticReport } from '../../../functions/core/diagnose/report.ts';
import { provision } from '../../../functions/core/reconcile/reconcile.ts';
import { type ChildLambda, startChildLambda } from '../../../testing/lambda-child.ts';
import { schemaErrors } from '../../../testing/report-schema.ts';
import { rulesInFake, startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

/** 60 s / 30 s become 12 s / 6 s: long enough for a busy machine, short enough for a test. */
const SCALE = 1 / 5;
const TIMEOUTS: FunctionTimeouts = {
  dataPlane: FUNCTION_TIMEOUTS_S.dataPlane * SCALE,
  probe: FUNCTION_TIMEOUTS_S.probe * SCALE,
  troubleshoot: FUNCTION_TIMEOUTS_S.troubleshoot * SCALE,
};
const BUDGETS = budgetsFor(TIMEOUTS);
const DATA_PLANE_SCRIPT = fileURLToPath(new URL('../../../testing/data-plane-function.ts', import.meta.url));

function lambdaContext(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName: 'troubleshoot',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:troubleshoot',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/troubleshoot',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' });
let world: World;
let vpc: VpcStandIn;
let dataPlaneFunction: ChildLambda;
let clusterId: string;
let host: string;

beforeEach(async () => {
  world = await startWorld();
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
  const cluster = world.addCluster({ displayName: 'orders', port: vpc.port });
  clusterId = cluster.clusterId;
  host = cluster.serviceDnsName;
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  // No vpc.admit(): the endpoint's security group does not admit the stand-in's port.
  const outcome = await provision(world.deps, { clusterId }, { deadline: world.clock.now() + 3_600_000 });
  expect(outcome.phase).toBe('Ready');
  const rulesAt = rulesInFake(world.ec2);
  dataPlaneFunction = startChildLambda({
    script: DATA_PLANE_SCRIPT,
    timeoutMs: TIMEOUTS.dataPlane * 1000,
    env: {
      DATA_PLANE_RULES: JSON.stringify(Object.fromEntries(vpc.addresses.map((a) => [a, rulesAt(a)]))),
      SOURCE_CIDR: world.ec2.world.cidrBlock,
      FUNCTION_TIMEOUTS_S: JSON.stringify(TIMEOUTS),
    },
  });
  await dataPlaneFunction.warm();
}, 30_000);

afterEach(async () => {
  dataPlaneFunction.close();
  await vpc.close();
  await world.close();
});

describe('a security group that drops the packets, across the Lambda split', () => {
  it('troubleshoot reports tcp.connect timed out, before the data-plane function is killed', async () => {
    const handler = createTroubleshootHandler(
      async () => ({
        ...(await world.partsFor(
          'troubleshoot',
          new LambdaDataPlane(dataPlaneFunction.client, 'tidb-privatelink-dev-dataPlane'),
        )),
        metrics: new PowertoolsProbeMetrics(new Metrics()),
        settings: {
          region: 'us-east-1',
          vpcId: world.settings.vpcId,
          dnsServer: vpc.dnsServer,
          timeoutMs: BUDGETS.dataPlaneMs,
          concurrency: 1,
        },
      }),
      logger,
      undefined,
      BUDGETS,
    );
    const report = (await handler(
      { clusterId },
      lambdaContext(TIMEOUTS.troubleshoot * 1000),
    )) as DiagnosticReport;
    expect(schemaErrors(report)).toEqual([]);
    expect(dataPlaneFunction.timedOut).toBe(0);
    expect(report.checks.find((check) => check.id === 'aws.security-group-ingress')?.status).toBe('fail');
    expect(report.checks.find((check) => check.id === 'tcp.connect')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('timed out: a security group or network ACL drops'),
    });
  }, 30_000);

  it('the data-plane function cuts a budget longer than its own timeout and still answers', async () => {
    const dataPlane = new LambdaDataPlane(dataPlaneFunction.client, 'tidb-privatelink-dev-dataPlane');
    const result = await dataPlane.probe({
      host,
      port: vpc.port,
      expectedAddresses: vpc.addresses,
      timeoutMs: TIMEOUTS.dataPlane * 1000 * 10,
      dnsServer: vpc.dnsServer,
    });
    expect(dataPlaneFunction.timedOut).toBe(0);
    expect(result.tcp.map((outcome) => outcome.status)).toEqual(vpc.addresses.map(() => 'timeout'));
  }, 30_000);
});
