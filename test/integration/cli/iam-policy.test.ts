/**
 * `tidb-privatelink iam-policy`: the printed operator policy is the stack's managed one (the packaged template,
 * resolved with the same ids), and the CLI run under the printed policy is allowed and refused exactly what
 * the managed policy allows and refuses. Bad flags are one sentence and exit 2.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../../functions/app/cli-deps.ts';
import { Authorizer, enforcedEc2 } from '../../../testing/iam/enforce.ts';
import { OPERATOR_PROVISION, OPERATOR_READ_ONLY, type Roles, rolesFor } from '../../../testing/iam/roles.ts';
import { ACCOUNT, type AwsRequest, REGION, type Role, simulate } from '../../../testing/iam-engine.ts';
import { fakePreflightPorts } from '../../../testing/preflight-fakes.ts';
import { runCliWith, spawnCli } from '../../../testing/run-cli.ts';
import { PACKAGE_ENV } from '../../../testing/serverless-package.ts';
import { cliEnvOf, startWorld, type World } from '../../../testing/world.ts';

/** The stack's VPCs, as a shape the integration setup packages (testing/iam/roles.ts puts these ids in). */
const FIRST = {
  vpcId: 'vpc-0a1',
  subnetIds: ['subnet-0a1', 'subnet-0a2', 'subnet-0a3'],
  securityGroupIds: ['sg-0a1'],
};
const SECOND = {
  vpcId: 'vpc-0b2',
  subnetIds: ['subnet-0b1', 'subnet-0b2', 'subnet-0b3'],
  securityGroupIds: ['sg-0b1'],
};
/** What the policy engine's template resolution names the state table (it has no TableName). */
const TABLE = 'StateTable';

/** The package's own secret, and the ids the packaged roles are resolved with. */
const PRINT_ENV = { TIDB_CLOUD_API_KEY_SECRET_ARN: PACKAGE_ENV.TIDB_CLOUD_API_KEY_SECRET_ARN };
const STACK_FLAGS = ['--region', REGION, '--account', ACCOUNT, '--table', TABLE];

/** What a difference most likely means. */
const STALE = 'functions/cli/operator-policies.ts is out of date: run npm run iam:operator';

/** The command needs no dependencies: any use of them fails the test. */
const NO_DEPS = new Proxy({} as CliDeps, {
  get: (_, property) => {
    throw new Error(`iam-policy used deps.${String(property)}`);
  },
});

const print = (args: string[], env: Record<string, string> = PRINT_ENV) =>
  runCliWith(['iam-policy', ...args], env, NO_DEPS);

async function printed(args: string[], env?: Record<string, string>): Promise<{ Statement: unknown[] }> {
  const run = await print(args, env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

/** A role holding one printed policy, for the policy engine. */
const roleOf = (name: string, policy: unknown): Role => ({
  principal: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  policies: [{ name, policy: policy as Role['policies'][number]['policy'] }],
  managedPolicyArns: [],
});

const documentsOf = (role: Role | undefined) => role?.policies.map((p) => p.policy) ?? [];

describe('the printed policy is the packaged managed policy', () => {
  let oneVpc: Roles;
  let twoVpcs: Roles;

  beforeAll(async () => {
    oneVpc = await rolesFor([FIRST]);
    twoVpcs = await rolesFor([FIRST, SECOND]);
  }, 120_000);

  it('read-only: equals OperatorReadOnlyPolicy, with no VPC named', async () => {
    const [readOnly] = documentsOf(oneVpc[OPERATOR_READ_ONLY]);
    expect(await printed(STACK_FLAGS), STALE).toEqual(readOnly);
  });

  it('--provision, one VPC: the read-only statements, then OperatorProvisionPolicy', async () => {
    const [readOnly, provision] = documentsOf(oneVpc[OPERATOR_PROVISION]) as Array<{ Statement: unknown[] }>;
    const document = await printed([...STACK_FLAGS, '--provision', '--vpc', FIRST.vpcId]);
    expect(document.Statement, STALE).toEqual([
      ...(readOnly?.Statement ?? []),
      ...(provision?.Statement ?? []),
    ]);
  });

  it('--provision, two VPCs (from --vpc or PRIVATELINK_VPCS): every VPC where the stack names them', async () => {
    const [readOnly, provision] = documentsOf(twoVpcs[OPERATOR_PROVISION]) as Array<{ Statement: unknown[] }>;
    const expected = [...(readOnly?.Statement ?? []), ...(provision?.Statement ?? [])];
    const flags = await printed([...STACK_FLAGS, '--provision', '--vpc', FIRST.vpcId, '--vpc', SECOND.vpcId]);
    expect(flags.Statement, STALE).toEqual(expected);
    const fromEnv = await printed([...STACK_FLAGS, '--provision'], {
      ...PRINT_ENV,
      PRIVATELINK_VPCS: JSON.stringify([FIRST, SECOND]),
    });
    expect(fromEnv.Statement).toEqual(expected);
  });
});

describe('what is left out, and the defaults', () => {
  it('the real bin prints it with no credentials and no network', async () => {
    const run = await spawnCli(['iam-policy', '--region', 'us-east-1'], {});
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ Version: '2012-10-17', Statement: expect.any(Array) });
  });

  it('without a table or secret: those statements are left out, and stderr says which and why', async () => {
    const run = await print(['--region', 'eu-west-1'], {});
    expect(run.code).toBe(0);
    const text = run.stdout;
    expect(text).not.toMatch(/dynamodb|secretsmanager/);
    expect(text).toContain('ec2:DescribeVpcEndpoints');
    expect(text).toContain('"arn:aws:events:eu-west-1:*:event-bus/default"');
    expect(run.stderr).toContain(
      'Left out, no --table or PRIVATELINK_STATE_TABLE (the CLI then uses no table): dynamodb:GetItem, dynamodb:Scan, dynamodb:UpdateItem.',
    );
    expect(run.stderr).toContain('no TIDB_CLOUD_API_KEY_SECRET_ARN');
    expect(run.stderr).toContain('No --account');
  });

  it('takes the region, table, VPC, bus and stack name from the environment', async () => {
    const document = await printed(['--provision', '--json'], {
      AWS_REGION: 'cn-north-1',
      PRIVATELINK_STATE_TABLE: 'my-state',
      PRIVATELINK_VPC_ID: 'vpc-0c3',
      PRIVATELINK_EVENT_BUS: 'ops',
      PRIVATELINK_STACK_NAME: 'blue',
    });
    const text = JSON.stringify(document);
    expect(text).toContain('"arn:aws-cn:dynamodb:cn-north-1:*:table/my-state"');
    expect(text).toContain('"arn:aws-cn:ec2:cn-north-1:*:vpc/vpc-0c3"');
    expect(text).toContain('"VPCId=vpc-0c3,VPCRegion=cn-north-1"');
    expect(text).toContain('"arn:aws-cn:events:cn-north-1:*:event-bus/ops"');
    expect(text).toContain('"aws:ResourceTag/tidb-privatelink:stack":"blue"');
    expect(text).not.toContain('${');
  });

  it.each([
    [[], {}, '--region <region> is required when AWS_REGION is not set.'],
    [['--region', 'moon-1'], {}, '--region "moon-1" is not an AWS region (e.g. us-east-1).'],
    [[], { AWS_REGION: 'moon-1' }, 'AWS_REGION "moon-1" is not an AWS region (e.g. us-east-1).'],
    [
      ['--region', 'us-east-1', '--account', '12'],
      {},
      '--account must be a 12-digit AWS account id; got "12".',
    ],
    [['--region', 'us-east-1', '--table', 'a b'], {}, '--table must be a DynamoDB table name'],
    [['--region', 'us-east-1', '--vpc', 'subnet-01'], {}, '--vpc "subnet-01" is not a VPC id (vpc-…).'],
    [
      ['--region', 'us-east-1', '--vpc', 'vpc-01', '--vpc', 'vpc-01'],
      {},
      '--vpc vpc-01 is given more than once',
    ],
    [['--region', 'us-east-1', '--provision'], {}, '--provision needs the VPC the endpoints go in'],
    [['--region', 'us-east-1', '--table', 'a', '--table', 'b'], {}, '--table is given more than once'],
    [['--region', 'us-east-1', '--cluster', '1'], {}, "Unknown option '--cluster'"],
    [[], { AWS_REGION: 'us-east-1', PRIVATELINK_VPC_ID: 'x' }, 'PRIVATELINK_VPC_ID "x" is not a VPC id'],
    [
      [],
      { AWS_REGION: 'us-east-1', TIDB_CLOUD_API_KEY_SECRET_ARN: 'key' },
      'is not a Secrets Manager secret ARN',
    ],
    [
      [],
      { AWS_REGION: 'us-east-1', PRIVATELINK_STATE_TABLE: 'a b' },
      'PRIVATELINK_STATE_TABLE must be a DynamoDB',
    ],
    [
      ['--provision'],
      { AWS_REGION: 'us-east-1', PRIVATELINK_VPCS: '[]' },
      'PRIVATELINK_VPCS must be a non-empty JSON list',
    ],
  ])('refuses %j: one sentence, exit 2', async (args, env, sentence) => {
    const run = await print(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(sentence);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the CLI under the printed policy decides as under the managed one', () => {
  let world: World;
  let roles: Roles;

  beforeEach(async () => {
    world = await startWorld();
    roles = await rolesFor([world.settings]);
  });

  afterEach(async () => {
    await world.close();
  });

  /** Every request IAM is asked while `policy` is held, with the CLI's exit code. */
  async function runUnder(policy: unknown, args: string[]) {
    const seen: AwsRequest[] = [];
    const authorizer = new (class extends Authorizer {
      override authorize(protocol: Parameters<Authorizer['authorize']>[0], requests: AwsRequest[]) {
        seen.push(...requests);
        return super.authorize(protocol, requests);
      }
      // A copy of the managed policies, compared with them below: not a principal the replay judges.
    })('printed', roleOf('printed', policy), { recorded: false });
    const ec2 = enforcedEc2(world.ec2, authorizer);
    const deps = {
      ...world.cliDeps,
      ec2,
      preflight: () => fakePreflightPorts({ ec2, tidbUrl: world.sim.url }),
    };
    const run = await runCliWith(args, cliEnvOf(world), deps);
    return { code: run.code, seen };
  }

  it('read-only print runs the read-only commands and refuses a create; provision print reaches Ready', async () => {
    const vpc = ['--vpc', world.settings.vpcId];
    const readOnly = await printed([...STACK_FLAGS, ...vpc]);
    const provision = await printed([...STACK_FLAGS, ...vpc, '--provision']);
    const cluster = world.addCluster();
    const requests: AwsRequest[] = [];
    for (const args of [['status'], ['reconcile', '--dry-run'], ['preflight']]) {
      const run = await runUnder(readOnly, args);
      expect(run.code, args.join(' ')).toBe(0);
      requests.push(...run.seen);
    }
    const refused = await runUnder(readOnly, ['provision', '--cluster', cluster.clusterId]);
    expect(refused.code).toBe(1);
    expect(world.ec2.peekEndpoints()).toEqual([]);
    const ready = await runUnder(provision, ['provision', '--cluster', cluster.clusterId, '--wait']);
    expect(ready.code).toBe(0);
    requests.push(...refused.seen, ...ready.seen);

    const decisions = async (role: Role | undefined) =>
      Promise.all(requests.map(async (request) => (await simulate(role as Role, request)).decision));
    const printedReadOnly = await decisions(roleOf('printed', readOnly));
    const printedProvision = await decisions(roleOf('printed', provision));
    expect(printedReadOnly).toEqual(await decisions(roles[OPERATOR_READ_ONLY]));
    expect(printedProvision).toEqual(await decisions(roles[OPERATOR_PROVISION]));
    // The comparison has teeth: some request only the provision statements allow.
    const onlyProvision = requests.filter(
      (_, i) => printedProvision[i] === 'Allowed' && printedReadOnly[i] !== 'Allowed',
    );
    expect(onlyProvision.map((request) => request.action)).toContain('ec2:CreateVpcEndpoint');
  }, 60_000);
});
