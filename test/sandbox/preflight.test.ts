/**
 * `npx tidb-privatelink preflight` as a deployer runs it (the real bin in a child process), against moto
 * (STS, EC2, Service Quotas, Secrets Manager, EventBridge) and the TiDB Cloud simulator over HTTP.
 */
import { ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PreflightReport } from '../../functions/core/preflight/ports.ts';
import { motoProxy } from '../../testing/iam/moto-proxy.ts';
import { OPERATOR_READ_ONLY } from '../../testing/iam/roles.ts';
import { SANDBOX_BUS, sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';
import {
  buildMotoWorld,
  createSandboxClients,
  destroySandboxClients,
  ensureEventBus,
  type MotoWorld,
  type SandboxClients,
} from '../../testing/moto-world.ts';
import { spawnCli } from '../../testing/run-cli.ts';
import { type Simulator, startSimulator } from '../../testing/tidbcloud-simulator/index.ts';

let clients: SandboxClients;
let secrets: SecretsManagerClient;
let moto: MotoWorld;
let sim: Simulator;
let goodSecretArn: string;

async function createSecret(name: string, value: string): Promise<string> {
  const created = await secrets.send(
    new CreateSecretCommand({ Name: `${name}-${Date.now()}`, SecretString: value }),
  );
  return String(created.ARN);
}

beforeAll(async () => {
  clients = createSandboxClients({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  secrets = new SecretsManagerClient({ region: inject('awsRegion'), endpoint: inject('awsEndpointUrl') });
  moto = await buildMotoWorld(clients);
  // The bus the stack (packaged with it) creates at deploy.
  await ensureEventBus(clients, SANDBOX_BUS);
  sim = await startSimulator();
  sim.addCluster({ displayName: 'orders' });
  goodSecretArn = await createSecret(
    'tidb-cloud-api-key',
    JSON.stringify({ publicKey: sim.publicKey, privateKey: sim.privateKey }),
  );
}, 120_000);

afterAll(async () => {
  // A preflight check that cannot read warns rather than fails: IAM refusals would hide there.
  const proxy = await motoProxy({ endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') });
  expect({ refused: proxy.refused, undecodable: proxy.undecodable }).toEqual({
    refused: [],
    undecodable: [],
  });
  await sim.close();
  secrets.destroy();
  destroySandboxClients(clients);
});

/**
 * The deployer's environment: the stack's settings, and moto through the IAM proxy with the keys of a person
 * holding the read-only operator policy of a stack packaged with this secret.
 */
async function deployerEnv(secretArn: string): Promise<Record<string, string>> {
  const config = { endpointUrl: inject('awsEndpointUrl'), region: inject('awsRegion') };
  const placement = {
    vpcId: moto.vpcId,
    subnetIds: Object.values(moto.subnetIdByZoneId),
    securityGroupIds: [moto.securityGroupId],
  };
  const principals = await sandboxPrincipals({ placement, apiKeySecretArn: secretArn });
  const proxy = await motoProxy(config);
  const keys = proxy.principal(principals.as(OPERATOR_READ_ONLY));
  return {
    AWS_ENDPOINT_URL: proxy.url,
    AWS_REGION: inject('awsRegion'),
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    PRIVATELINK_EVENT_BUS: SANDBOX_BUS,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TIDB_CLOUD_API_URL: sim.url,
    TIDB_CLOUD_API_KEY_SECRET_ARN: secretArn,
    PRIVATELINK_VPC_ID: moto.vpcId,
    PRIVATELINK_SUBNET_IDS: Object.values(moto.subnetIdByZoneId).join(','),
  };
}

async function preflight(secretArn: string): Promise<{ code: number; report: PreflightReport }> {
  const run = await spawnCli(['preflight', '--json'], await deployerEnv(secretArn));
  return { code: run.code, report: JSON.parse(run.stdout) as PreflightReport };
}

const check = (report: PreflightReport, id: string) => report.checks.find((c) => c.id === id);

describe('preflight against moto and the simulator', () => {
  it('fails a VPC with DNS hostnames off, with the one command that fixes it; passes once it is run', async () => {
    const before = await preflight(goodSecretArn);
    expect(before.code).toBe(1);
    expect(check(before.report, 'aws.vpc-dns-attributes')).toMatchObject({
      status: 'fail',
      remediation: `aws ec2 modify-vpc-attribute --vpc-id ${moto.vpcId} --enable-dns-hostnames '{"Value":true}'`,
    });
    // Everything else is read from moto for real: STS, the AZ IDs, Service Quotas' 50, the secret, the key.
    expect(check(before.report, 'aws.credentials')?.summary).toMatch(/^Deploying as arn:aws:/);
    // moto lists the subnets in no fixed order: each must be named with its AZ ID.
    const subnets = check(before.report, 'aws.subnets')?.summary;
    expect(subnets).toMatch(/ in use1-az1\b/);
    expect(subnets).toMatch(/ in use1-az2\b/);
    expect(check(before.report, 'aws.endpoint-quota')).toMatchObject({
      status: 'pass',
      evidence: { quota: 50, quotaKnown: true },
    });
    expect(check(before.report, 'tidb.api-key')).toMatchObject({ status: 'pass' });

    await clients.ec2.send(
      new ModifyVpcAttributeCommand({ VpcId: moto.vpcId, EnableDnsHostnames: { Value: true } }),
    );
    const after = await preflight(goodSecretArn);
    // moto has no Lambda GetAccountSettings, so that one check warns (its figures are stubbed in
    // test/unit/core/preflight/lambda-concurrency.test.ts); a warning leaves the account ready.
    expect(after.report.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status])).toEqual([
      ['aws.lambda-concurrency', 'warn'],
    ]);
    expect(after).toMatchObject({ code: 0, report: { ready: true } });
  });

  it('fails a secret of the wrong shape with the put-secret-value command', async () => {
    const arn = await createSecret('wrong-shape', JSON.stringify({ public_key: 'a', private_key: 'b' }));
    const { code, report } = await preflight(arn);
    expect(code).toBe(1);
    expect(check(report, 'tidb.api-key-secret')).toMatchObject({
      status: 'fail',
      summary: `${arn} is not JSON with non-empty "publicKey" and "privateKey" strings.`,
      remediation: `Store the key as JSON with both fields: aws secretsmanager put-secret-value --secret-id ${arn} --secret-string '{"publicKey":"…","privateKey":"…"}'.`,
    });
    expect(check(report, 'tidb.api-key')).toMatchObject({ status: 'skip' });
    // The secret's content is never echoed.
    expect(JSON.stringify(report)).not.toContain('private_key');
  });

  it('fails a key TiDB Cloud rejects, saying how to make a new one', async () => {
    const arn = await createSecret(
      'wrong-key',
      JSON.stringify({ publicKey: sim.publicKey, privateKey: 'not-the-private-key' }),
    );
    const { code, report } = await preflight(arn);
    expect(code).toBe(1);
    expect(check(report, 'tidb.api-key')).toMatchObject({
      status: 'fail',
      summary: 'TiDB Cloud rejected the API key.',
      remediation:
        'TiDB Cloud rejected the key pair: create a new API key (TiDB Cloud console → Organization Settings → API Keys, role Organization Owner or Project Owner) and store both halves in the secret.',
    });
    expect(JSON.stringify(report)).not.toContain('not-the-private-key');
  });

  it('fails a missing secret with the create-secret command', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tidb-cloud-api-key-XyZ123';
    const { code, report } = await preflight(arn);
    expect(code).toBe(1);
    expect(check(report, 'tidb.api-key-secret')).toMatchObject({
      status: 'fail',
      summary: `The secret ${arn} does not exist.`,
      remediation: `Create the secret with your TiDB Cloud API key (an Organization Owner or Project Owner key): aws secretsmanager create-secret --name tidb-cloud-api-key --secret-string '{"publicKey":"…","privateKey":"…"}', then set TIDB_CLOUD_API_KEY_SECRET_ARN to its ARN.`,
    });
  });

  it('fails a VPC that does not exist, skipping what depends on it', async () => {
    const run = await spawnCli(['preflight'], {
      ...(await deployerEnv(goodSecretArn)),
      PRIVATELINK_VPC_ID: 'vpc-0123456789abcdef0',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✘ aws\.vpc {2,}vpc-0123456789abcdef0 does not exist in us-east-1\.$/m);
    expect(run.stdout).toMatch(
      /^ {4}fix: Set PRIVATELINK_VPC_ID to a VPC of this account in us-east-1; list them with `aws ec2 describe-vpcs/m,
    );
    expect(run.stdout).toMatch(/^- aws\.subnets {2,}Skipped: the VPC could not be read\.$/m);
    expect(run.stdout).toMatch(/^NOT READY: /m);
  });
});
