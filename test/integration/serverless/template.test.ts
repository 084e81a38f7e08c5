import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ATTRIBUTE, TTL_ATTRIBUTE } from '../../../functions/adapters/aws/dynamodb-registry.ts';
import { PowertoolsProbeMetrics } from '../../../functions/adapters/powertools-metrics.ts';
import { DEPLOYED_BUDGETS, FUNCTION_TIMEOUTS_S } from '../../../functions/app/budgets.ts';
import { createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import { PROBE_TIMEOUT_MS } from '../../../functions/app/lambda-deps.ts';
import { loadConfig } from '../../../functions/config.ts';
import { closeAll, mysqlServer, onSamePort, startDns } from '../../../testing/local-servers.ts';
import {
  type CfnResource,
  PACKAGE_ENV,
  type PackagedStack,
  packageStack,
} from '../../../testing/serverless-package.ts';
import {
  CLUSTER_ID,
  fakeDataPlane,
  fakeEc2,
  fakeTidb,
  healthyProbe,
  healthyWorld,
  VPC_ID,
} from '../../unit/core/diagnose/fakes.ts';

let stack: PackagedStack;

beforeAll(async () => {
  stack = await packageStack();
}, 120_000);

const resourcesOfType = (type: string): Array<[string, CfnResource]> =>
  Object.entries(stack.template.Resources).filter(([, resource]) => resource.Type === type);

function fn(name: string): CfnResource {
  const resource = stack.template.Resources[`${name}LambdaFunction`];
  if (!resource) throw new Error(`no function ${name} in the template`);
  return resource;
}

/** A function's environment variables, as the packaged template sets them. */
function environmentOf(name: string, packaged: PackagedStack = stack): Record<string, string> {
  const resource = packaged.template.Resources[`${name}LambdaFunction`];
  if (!resource) throw new Error(`no function ${name} in the template`);
  const variables = (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  return Object.fromEntries(
    Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function statementsOf(name: string): Statement[] {
  const role = stack.template.Resources[`${name}IamRoleLambdaExecution`];
  const policies = role?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

describe('serverless package (offline, no AWS credentials)', () => {
  it('deploys every function on nodejs22.x with its own role', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const [, resource] of functions) {
      expect(resource.Properties.Runtime).toBe('nodejs22.x');
      expect(JSON.stringify(resource.Properties.Role)).toMatch(/IamRoleLambdaExecution/);
      expect(JSON.stringify(resource.Properties.Role)).not.toMatch(/"IamRoleLambdaExecution"/);
    }
  });

  it('reads the API key from Secrets Manager, never from plain environment', () => {
    const env = (fn('Reconcile').Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.TIDB_CLOUD_API_KEY_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:/);
    expect(env).not.toHaveProperty('TIDB_CLOUD_PUBLIC_KEY');
    expect(env).not.toHaveProperty('TIDB_CLOUD_PRIVATE_KEY');
    expect(statementsOf('Reconcile')).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue'],
        // The configured ARN, and the same with AWS's six-character suffix (a name-only ARN).
        Resource: [env.TIDB_CLOUD_API_KEY_SECRET_ARN, `${env.TIDB_CLOUD_API_KEY_SECRET_ARN}-??????`],
      }),
    );
  });

  it("only creates endpoints carrying the managed-by tag and only modifies this stack's managed endpoints", () => {
    for (const name of ['Reconcile', 'Provision']) {
      const statements = statementsOf(name);
      const create = statements.find((s) => s.Action.includes('ec2:CreateVpcEndpoint') && s.Condition);
      expect(create?.Condition).toEqual({
        StringEquals: { 'aws:RequestTag/tidb-privatelink:managed-by': 'tidb-privatelink' },
        StringLike: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder.
          'ec2:VpceServiceName': { 'Fn::Sub': 'com.amazonaws.vpce.${AWS::Region}.vpce-svc-*' },
        },
      });
      // On the endpoint, the managed-by tag and this stack's tag (or none); on the subnets it moves to or from,
      // the stack's VPCs (iam-matrix).
      const modify = statements.filter((s) => s.Action.includes('ec2:ModifyVpcEndpoint'));
      expect(modify.map((s) => s.Condition)).toEqual([
        {
          StringEquals: { 'aws:ResourceTag/tidb-privatelink:managed-by': 'tidb-privatelink' },
          StringEqualsIfExists: { 'aws:ResourceTag/tidb-privatelink:stack': 'tidb-privatelink' },
        },
        {
          StringEquals: {
            // A list: every VPC of the stack (one here).
            'ec2:Vpc': [{ 'Fn::Sub': expect.stringContaining(`:vpc/${PACKAGE_ENV.PRIVATELINK_VPC_ID}`) }],
          },
        },
      ]);
      const deletes = statements.filter((s) => s.Action.includes('ec2:DeleteVpcEndpoints'));
      // Only the reconcile deletes (orphans), only this stack's managed endpoints (iam-matrix.test.ts).
      expect(deletes.map((s) => s.Condition)).toEqual(
        name === 'Reconcile'
          ? [
              {
                StringEquals: { 'aws:ResourceTag/tidb-privatelink:managed-by': 'tidb-privatelink' },
                StringEqualsIfExists: { 'aws:ResourceTag/tidb-privatelink:stack': 'tidb-privatelink' },
              },
            ]
          : [],
      );
    }
  });

  it('passes PRIVATELINK_DELETE_ORPHANS_AFTER_H to the reconcile only, and the stack name to every function', () => {
    const env = (name: string) =>
      (fn(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env('Reconcile')).toMatchObject({
      PRIVATELINK_DELETE_ORPHANS_AFTER_H: '',
      PRIVATELINK_STACK_NAME: 'tidb-privatelink',
    });
    expect(env('Provision').PRIVATELINK_DELETE_ORPHANS_AFTER_H).toBeUndefined();
    expect(env('Probe').PRIVATELINK_STACK_NAME).toBe('tidb-privatelink');
  });

  it('schedules the reconcile and routes TiDB Cluster Detected the reconcile did not handle to the provision function', () => {
    const schedules = resourcesOfType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules.map(([, r]) => r.Properties.ScheduleExpression)).toContain('rate(5 minutes)');
    const patterns = resourcesOfType('AWS::Events::Rule')
      .map(([, r]) => r.Properties.EventPattern)
      .filter(Boolean);
    expect(patterns).toContainEqual({
      source: ['tidb-privatelink'],
      'detail-type': ['TiDB Cluster Detected'],
      detail: { handledBy: [{ exists: false }] },
    });
  });

  it('attaches only the data plane to the VPC, with its own egress-only group and only ENI permissions', () => {
    expect(fn('DataPlane').Properties.VpcConfig).toMatchObject({
      SecurityGroupIds: [{ Ref: 'ProbeSecurityGroup' }],
    });
    for (const name of ['Reconcile', 'Provision', 'Probe', 'Troubleshoot']) {
      expect(fn(name).Properties.VpcConfig).toBeUndefined();
    }
    // What Lambda needs for the function's network interfaces, and nothing else (iam-matrix.test.ts
    // evaluates the scoping).
    const eniActions = new Set([
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ]);
    const actions = statementsOf('DataPlane').flatMap((s) => s.Action);
    expect(actions.filter((a) => !a.startsWith('logs:') && !eniActions.has(a))).toEqual([]);
    expect(stack.template.Resources.DataPlaneIamRoleLambdaExecution?.Properties.ManagedPolicyArns).toEqual(
      [],
    );
    const group = stack.template.Resources.ProbeSecurityGroup;
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('lets probe and troubleshoot invoke the data plane, and only the probe tag managed endpoints', () => {
    for (const name of ['Probe', 'Troubleshoot']) {
      const invoke = statementsOf(name).find((s) => s.Action.includes('lambda:InvokeFunction'));
      expect(JSON.stringify(invoke?.Resource)).toContain('function:tidb-privatelink-dev-dataPlane');
      const env = (fn(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.PRIVATELINK_DATA_PLANE_FUNCTION).toBe('tidb-privatelink-dev-dataPlane');
    }
    const tagging = statementsOf('Probe').filter((s) => s.Action.includes('ec2:CreateTags'));
    expect(tagging.map((s) => s.Condition)).toEqual([
      {
        StringEquals: { 'aws:ResourceTag/tidb-privatelink:managed-by': 'tidb-privatelink' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['tidb-privatelink:health'] },
      },
    ]);
    expect(statementsOf('Troubleshoot').some((s) => s.Action.includes('ec2:CreateTags'))).toBe(false);
  });

  it('lets probe and troubleshoot read the DNS path and route tables, and nothing else in Route 53', () => {
    for (const name of ['Probe', 'Troubleshoot']) {
      const actions = statementsOf(name).flatMap((s) => s.Action);
      expect(actions).toEqual(
        expect.arrayContaining([
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeRouteTables',
          'route53:ListHostedZonesByVPC',
          'route53resolver:ListResolverRules',
          'route53resolver:ListResolverRuleAssociations',
          'route53resolver:ListResolverEndpoints',
          'route53resolver:ListFirewallRuleGroupAssociations',
          'route53resolver:ListFirewallRules',
          'route53resolver:ListFirewallDomains',
        ]),
      );
      const dnsActions = actions.filter((a) => /^route53(resolver)?:/.test(a));
      expect(dnsActions.every((a) => /:(List|Get)/.test(a))).toBe(true);
    }
  });

  it('routes PrivateLink Troubleshoot Requested to the troubleshoot function and schedules the probe', () => {
    const rules = resourcesOfType('AWS::Events::Rule').map(([, r]) => r.Properties);
    // Only the app's own source by default; PRIVATELINK_TROUBLESHOOT_SOURCES adds others (operations.test.ts).
    expect(rules.map((r) => r.EventPattern)).toContainEqual({
      source: ['tidb-privatelink'],
      'detail-type': ['PrivateLink Troubleshoot Requested'],
    });
    expect(rules.filter((r) => r.ScheduleExpression === 'rate(5 minutes)')).toHaveLength(2);
  });

  it('keeps state in one on-demand table whose TTL attribute the adapters use', () => {
    const tables = resourcesOfType('AWS::DynamoDB::Table');
    const table = stack.template.Resources.StateTable;
    expect(tables.map(([id]) => id)).toEqual(['StateTable']);
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: KEY_ATTRIBUTE, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
    for (const name of ['Reconcile', 'Provision', 'Probe', 'Troubleshoot']) {
      const env = (fn(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.PRIVATELINK_STATE_TABLE, name).toEqual({ Ref: 'StateTable' });
    }
    const dataPlaneEnv = fn('DataPlane').Properties.Environment as { Variables: Record<string, unknown> };
    expect(dataPlaneEnv.Variables.PRIVATELINK_STATE_TABLE).toBeUndefined();
  });

  it('grants each function only the DynamoDB actions it uses, on the state table only', () => {
    const dynamo = (name: string) =>
      statementsOf(name).filter((s) => s.Action.some((action) => action.startsWith('dynamodb:')));
    const idempotency = [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ];
    const expected: Record<string, string[][]> = {
      Reconcile: [['dynamodb:UpdateItem'], ['dynamodb:Scan']],
      Provision: [idempotency],
      Probe: [idempotency],
      Troubleshoot: [idempotency],
      DataPlane: [],
    };
    for (const [name, actions] of Object.entries(expected)) {
      const statements = dynamo(name);
      expect(
        statements.map((s) => s.Action),
        name,
      ).toEqual(actions);
      for (const statement of statements) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['StateTable', 'Arn'] });
      }
    }
  });

  it('reserves no concurrency (the reconcile lease keeps one at a time), each reconcile ending before the next tick', () => {
    // Lambda refuses any reservation that leaves an account under 10 unreserved, as on new accounts.
    for (const [name, resource] of resourcesOfType('AWS::Lambda::Function')) {
      expect(resource.Properties.ReservedConcurrentExecutions, name).toBeUndefined();
    }
    expect(fn('Reconcile').Properties.Timeout).toBeLessThan(300);
    for (const name of ['Reconcile', 'Provision', 'Probe', 'Troubleshoot']) {
      const env = (fn(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.TIDB_CLOUD_REQUESTS_PER_MINUTE, name).toBe('95');
    }
  });

  it('routes PrivateLink Endpoint Ready to the probe', () => {
    const rules = resourcesOfType('AWS::Events::Rule').map(([, r]) => r.Properties);
    const ready = rules.filter(
      (r) =>
        JSON.stringify(r.EventPattern) ===
        JSON.stringify({
          source: ['tidb-privatelink'],
          'detail-type': ['PrivateLink Endpoint Ready'],
        }),
    );
    expect(ready).toHaveLength(1);
    expect(JSON.stringify(ready[0]?.Targets)).toContain('ProbeLambdaFunction');
  });

  describe('timeouts that fit together: every budget handed across the split ends before the callee’s timeout', () => {
    const timeoutMs = (name: string) => Number(fn(name).Properties.Timeout) * 1000;
    /** Left between a budget and the callee's timeout: the result must still travel back. */
    const margin = (calleeMs: number) => Math.max(1000, calleeMs * 0.1);

    it('the code derives its budgets from the timeouts the template deploys', () => {
      expect({
        dataPlane: timeoutMs('DataPlane') / 1000,
        probe: timeoutMs('Probe') / 1000,
        troubleshoot: timeoutMs('Troubleshoot') / 1000,
      }).toEqual(FUNCTION_TIMEOUTS_S);
    });

    it('troubleshoot → data plane: what the handler hands over, at the full deployed timeout', async () => {
      const world = healthyWorld();
      const dataPlane = fakeDataPlane(healthyProbe());
      const handler = createTroubleshootHandler(
        async () => ({
          tidb: fakeTidb(world),
          ec2: fakeEc2(world),
          events: { publish: async () => {} },
          clock: { now: Date.now, sleep: async () => {} },
          dataPlane,
          metrics: new PowertoolsProbeMetrics(new Metrics()),
          settings: { region: 'us-east-1', vpcId: VPC_ID, timeoutMs: PROBE_TIMEOUT_MS, concurrency: 1 },
        }),
        new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' }),
      );
      const context = { getRemainingTimeInMillis: () => timeoutMs('Troubleshoot'), awsRequestId: 'budget' };
      await handler({ clusterId: CLUSTER_ID }, context as unknown as Context);
      const [input] = dataPlane.inputs;
      expect(input?.timeoutMs).toBeGreaterThan(0);
      expect(input?.timeoutMs).toBeLessThanOrEqual(timeoutMs('DataPlane') - margin(timeoutMs('DataPlane')));
      expect(DEPLOYED_BUDGETS.dataPlaneMs).toBeLessThanOrEqual(
        timeoutMs('DataPlane') - margin(timeoutMs('DataPlane')),
      );
    });

    it('probe → data plane: the per-endpoint budget (the doctor hands the data plane less than it)', () => {
      expect(PROBE_TIMEOUT_MS).toBeLessThanOrEqual(timeoutMs('DataPlane') - margin(timeoutMs('DataPlane')));
    });

    it('each caller keeps time for itself: its reserve is inside its own timeout', () => {
      expect(DEPLOYED_BUDGETS.troubleshootReserveMs).toBeGreaterThanOrEqual(1000);
      expect(DEPLOYED_BUDGETS.troubleshootReserveMs).toBeLessThan(timeoutMs('Troubleshoot') / 2);
      expect(DEPLOYED_BUDGETS.probeReserveMs).toBeGreaterThanOrEqual(1000);
      expect(DEPLOYED_BUDGETS.probeReserveMs).toBeLessThan(timeoutMs('Probe') / 2);
    });
  });

  it("tags endpoints with the documented default stack name; the pending timeout is the catalogue's default", () => {
    for (const name of ['Reconcile', 'Provision']) {
      const env = environmentOf(name);
      // docs/contracts.md "Tags": default `tidb-privatelink`; a second stack in the same VPC sets its own name.
      expect(env.PRIVATELINK_STACK_NAME).toBe('tidb-privatelink');
      // The template passes the resolved default (functions/settings/catalogue.ts), the one loadConfig applies.
      expect(env.PRIVATELINK_PENDING_TIMEOUT_MIN).toBe('30');
      expect(
        loadConfig({ ...PACKAGE_ENV, ...env }, { apiKeys: 'secret', vpc: true }).privateLink,
      ).toMatchObject({
        stackName: 'tidb-privatelink',
        pendingTimeoutMin: 30,
      });
    }
  });

  it('passes PRIVATELINK_STACK_NAME and PRIVATELINK_PENDING_TIMEOUT_MIN through when set', async () => {
    const custom = await packageStack({
      PRIVATELINK_STACK_NAME: 'blue',
      PRIVATELINK_PENDING_TIMEOUT_MIN: '45',
    });
    for (const name of ['Reconcile', 'Provision']) {
      const env = environmentOf(name, custom);
      expect(env).toMatchObject({ PRIVATELINK_STACK_NAME: 'blue', PRIVATELINK_PENDING_TIMEOUT_MIN: '45' });
      expect(
        loadConfig({ ...PACKAGE_ENV, ...env }, { apiKeys: 'secret', vpc: true }).privateLink,
      ).toMatchObject({
        stackName: 'blue',
        pendingTimeoutMin: 45,
      });
    }
  }, 120_000);

  it('takes the reconcile rate from RECONCILE_RATE', async () => {
    const custom = await packageStack({ RECONCILE_RATE: 'rate(2 minutes)' });
    const rates = Object.values(custom.template.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => r.Properties.ScheduleExpression);
    expect(rates).toContain('rate(2 minutes)');
  }, 120_000);
});

describe('the packaged bundles run on Node', () => {
  afterAll(closeAll);

  function unpack(name: string): string {
    const dir = join(stack.dir, `unzipped-${name}`);
    execFileSync('python3', ['-m', 'zipfile', '-e', join(stack.dir, `${name}.zip`), dir]);
    return dir;
  }

  it('the data-plane bundle probes DNS, TCP and the TiDB greeting when invoked', async () => {
    const addresses = ['127.0.0.21', '127.0.0.22'];
    const port = await onSamePort(addresses, () => mysqlServer('8.0.11-TiDB-v7.5.2'));
    const dnsServer = await startDns({ 'privatelink-1.example.clusters.tidb-cloud.com': { a: addresses } });
    const bundle = join(unpack('dataPlane'), 'functions/handlers/data-plane.mjs');
    const { handler } = (await import(pathToFileURL(bundle).href)) as {
      handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
    };
    const context = {
      getRemainingTimeInMillis: () => 30_000,
      functionName: 'dataPlane',
      awsRequestId: 'test',
    };
    const result = await handler(
      {
        host: 'privatelink-1.example.clusters.tidb-cloud.com',
        port,
        expectedAddresses: addresses,
        timeoutMs: 5000,
        dnsServer,
      },
      context,
    );
    expect(result).toMatchObject({
      dns: { status: 'answered', addresses: expect.arrayContaining(addresses) },
      tcp: addresses.map((address) => expect.objectContaining({ address, status: 'connected' })),
      handshake: { status: 'greeting', serverVersion: '8.0.11-TiDB-v7.5.2' },
    });
    // Rejected, not thrown: the caller reads the reason (LambdaDataPlane turns it into an AwsError).
    await expect(handler({ host: 'x', port: 'four thousand' }, context)).resolves.toEqual({
      rejected: true,
      reason: expect.stringMatching(/Invalid data-plane input/),
    });
    // The probe's one trip: every endpoint's targets in one invocation, answered in order.
    const target = {
      host: 'privatelink-1.example.clusters.tidb-cloud.com',
      port,
      expectedAddresses: addresses,
      timeoutMs: 5000,
      dnsServer,
    };
    const batch = await handler({ targets: [target, { ...target, host: 'missing.example' }] }, context);
    expect(batch).toMatchObject({
      results: [
        { ok: true, result: { handshake: { status: 'greeting' } } },
        { ok: true, result: { dns: { status: 'nxdomain' }, tcp: [] } },
      ],
    });
    await expect(handler({ targets: [target, { ...target, port: 0 }] }, context)).resolves.toEqual({
      rejected: true,
      reason: expect.stringMatching(/target 1: port must be 1–65535/),
    });
  });

  it('the reconcile bundle fails its cold start listing every missing variable', () => {
    const bundle = join(unpack('reconcile'), 'functions/handlers/reconcile.mjs');
    let stderr = '';
    try {
      execFileSync(process.execPath, ['-e', `import(${JSON.stringify(pathToFileURL(bundle).href)})`], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: 'pipe',
      });
    } catch (error) {
      stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    }
    for (const name of [
      'TIDB_CLOUD_API_KEY_SECRET_ARN',
      'AWS_REGION',
      'PRIVATELINK_VPC_ID',
      'PRIVATELINK_SUBNET_IDS',
    ]) {
      expect(stderr).toContain(name);
    }
  });
});
