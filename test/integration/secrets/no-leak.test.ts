import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createDataPlaneHandler,
  createProbeHandler,
  createTroubleshootHandler,
} from '../../../functions/app/diagnostics.ts';
import { eventBridgeEvents } from '../../../functions/app/eventbridge-events.ts';
import { createDiagnosticsDeps, createLambdaDeps } from '../../../functions/app/lambda-deps.ts';
import { createProvisionHandler, createReconcileHandler } from '../../../functions/app/provisioning.ts';
import { loadConfig } from '../../../functions/config.ts';
import { runCliAsOperator } from '../../../testing/operator-cli.ts';
import { type RawRequest, type RawServer, startRawServer } from '../../../testing/raw-http-server.ts';
import { type CliRun, spawnCli } from '../../../testing/run-cli.ts';
import { startVpcStandIn, type VpcStandIn } from '../../../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../../../testing/world.ts';

/**
 * Secrets never leak: canary values for the API key pair, the SQL password and the secrets' contents go in
 * through every door (environment, Secrets Manager, invoke payloads); every byte the CLI, the handlers and
 * the demo write (stdout, stderr, logs, metrics, events, reports, errors with their stacks and causes) is
 * searched for them, as text, as 8-character pieces of it, and as base64 and hex.
 */
const CANARY = {
  publicKey: 'CANARYPUBK7Q3XW2ZL',
  privateKey: 'cnryPriv-3f9a8b7c6d5e4f10aa',
  /** A second private key, stored where the right one belongs: the wrong-key path. */
  wrongPrivateKey: 'cnryWrongKey-91ab7e3d5c',
  sqlPassword: 'cnrySqlPw-Zx81QmT4',
};
const SQL_USER = 'probe_user';
const WINDOW = 8;

function needles(): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const [name, secret] of Object.entries(CANARY)) {
    for (let i = 0; i + WINDOW <= secret.length; i += 1)
      found.push([`${name} piece`, secret.slice(i, i + WINDOW)]);
    const bytes = Buffer.from(secret);
    found.push([`${name} base64`, bytes.toString('base64').replace(/=+$/, '')]);
    found.push([`${name} base64url`, bytes.toString('base64url')]);
    found.push([`${name} hex`, bytes.toString('hex')]);
  }
  const basic = Buffer.from(`${CANARY.publicKey}:${CANARY.privateKey}`).toString('base64');
  found.push(['Basic authorization', basic.replace(/=+$/, '')]);
  return found;
}
const NEEDLES = needles();

/** Every canary form found in `text`, as "where: what". */
function leaksIn(where: string, text: string): string[] {
  const lower = text.toLowerCase();
  return NEEDLES.filter(([label, needle]) =>
    label.endsWith('hex') ? lower.includes(needle) : text.includes(needle),
  ).map(([label]) => `${where}: ${label}`);
}

/** What the Lambda runtime would log for a thrown error: message, stack, JSON form and every cause. */
function errorText(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 5) return String(error);
  const cause = error.cause === undefined ? '' : `\ncaused by: ${errorText(error.cause, depth + 1)}`;
  return `${error.name}: ${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}${cause}`;
}

interface Captured {
  where: string;
  text: string;
}

/**
 * Runs `fn` with every in-process output captured: the console (Powertools logs and metrics print through it
 * with POWERTOOLS_DEV) and process stdout/stderr. The result or the error is captured too.
 */
async function capturing(where: string, fn: () => Promise<unknown>): Promise<Captured[]> {
  const printed: string[] = [];
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  const keep = (...parts: unknown[]) => {
    printed.push(parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' '));
  };
  const spies = [
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(keep),
    ),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      keep(String(chunk));
      return true;
    }),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      keep(String(chunk));
      return true;
    }),
  ];
  let outcome: string;
  try {
    outcome = JSON.stringify(await fn()) ?? '';
  } catch (error) {
    outcome = errorText(error);
  } finally {
    for (const spy of spies) spy.mockRestore();
    vi.unstubAllEnvs();
  }
  return [
    { where: `${where} (printed)`, text: printed.join('\n') },
    { where: `${where} (result or error)`, text: outcome },
  ];
}

function cliCaptures(where: string, run: CliRun): Captured[] {
  return [
    { where: `${where} stdout`, text: run.stdout },
    { where: `${where} stderr`, text: run.stderr },
  ];
}

function expectNoLeak(captures: Captured[]): void {
  expect([...new Set(captures.flatMap(({ where, text }) => leaksIn(where, text)))]).toEqual([]);
  // The captures are not empty: a silent run proves nothing.
  expect(captures.map((c) => c.text).join('').length).toBeGreaterThan(0);
}

function lambdaContext(remainingMs = 900_000): Context {
  return {
    functionName: 'leak-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:leak-test',
    memoryLimitInMB: '256',
    awsRequestId: 'req-leak',
    logGroupName: '/aws/lambda/leak-test',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`;
const SECRETS: Record<string, string> = {
  [ARN('api-key')]: JSON.stringify({ publicKey: CANARY.publicKey, privateKey: CANARY.privateKey }),
  [ARN('api-key-wrong')]: JSON.stringify({ publicKey: CANARY.publicKey, privateKey: CANARY.wrongPrivateKey }),
  [ARN('api-key-not-json')]: CANARY.privateKey,
  [ARN('api-key-no-private')]: JSON.stringify({
    publicKey: CANARY.publicKey,
    private_key: CANARY.privateKey,
  }),
  [ARN('sql')]: JSON.stringify({ user: SQL_USER, password: CANARY.sqlPassword }),
};

/** Secrets Manager's GetSecretValue (JSON 1.1 protocol) over the raw server: every secret above. */
function secretsManager(request: RawRequest) {
  const { SecretId } = JSON.parse(request.body || '{}') as { SecretId?: string };
  const value = SecretId ? SECRETS[SecretId] : undefined;
  const headers = { 'content-type': 'application/x-amz-json-1.1' };
  if (value === undefined) {
    return {
      status: 400,
      headers,
      body: JSON.stringify({
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      }),
    };
  }
  const body = {
    ARN: SecretId,
    Name: 'n',
    SecretString: value,
    VersionId: 'v1',
    VersionStages: ['AWSCURRENT'],
  };
  return { status: 200, headers, body: JSON.stringify(body) };
}

let world: World;
let vpc: VpcStandIn;
let sm: RawServer;
let clusterId: string;
/** Where the bin's AWS clients go unless a test says otherwise: loopback, nothing listening. */
let closedUrl: string;

beforeAll(async () => {
  world = await startWorld({
    simulator: { publicKey: CANARY.publicKey, privateKey: CANARY.privateKey, rateLimitPerMinute: 100_000 },
    requestsPerMinute: 100_000,
  });
  vpc = await startVpcStandIn(world.ec2, { sourceCidr: world.ec2.world.cidrBlock });
  vpc.admit(world.ec2.world.securityGroupId);
  const cluster = world.addCluster({ port: vpc.port });
  vpc.serve(cluster.serviceDnsName, cluster.serviceName);
  clusterId = cluster.clusterId;
  sm = await startRawServer(secretsManager);
  const closed = await startRawServer([{ drop: true }]);
  closedUrl = closed.url.replace(/\/v1beta1$/, '');
  await closed.close();
});

afterAll(async () => {
  await sm.close();
  await vpc.close();
  await world.close();
});

const cliEnv = (): Record<string, string> => ({
  TIDB_CLOUD_API_URL: world.sim.url,
  TIDB_CLOUD_PUBLIC_KEY: CANARY.publicKey,
  TIDB_CLOUD_PRIVATE_KEY: CANARY.privateKey,
  TIDB_CLOUD_REQUESTS_PER_MINUTE: '100000',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: closedUrl,
  AWS_ACCESS_KEY_ID: 'AKIDLEAKTEST',
  AWS_SECRET_ACCESS_KEY: 'leak-test',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  PRIVATELINK_VPC_ID: world.ec2.world.vpcId,
  PRIVATELINK_SUBNET_IDS: world.ec2.world.subnetIds.join(','),
  TIDB_USER: SQL_USER,
  TIDB_PASSWORD: CANARY.sqlPassword,
});

describe('the CLI, in-process on the local world (EC2 fake, VPC stand-in): success paths', () => {
  it('provision --wait, reconcile, status and doctor --json (with a SQL login) print no canary', async () => {
    const runs: Captured[] = [];
    for (const args of [
      ['provision', '--cluster', clusterId, '--wait', '--json'],
      ['reconcile'],
      ['status', '--json'],
      ['doctor', '--cluster', clusterId, '--dns-server', vpc.dnsServer, '--timeout-ms', '3000', '--json'],
      ['doctor', '--cluster', clusterId, '--dns-server', vpc.dnsServer, '--timeout-ms', '3000'],
    ]) {
      let run: CliRun | undefined;
      runs.push(
        ...(await capturing(
          args[0] ?? '',
          async () => (run = await runCliAsOperator(world, args, cliEnv(), { dataPlane: vpc.dataPlane })),
        )),
      );
      if (run) runs.push(...cliCaptures(args.join(' '), run));
    }
    runs.push({ where: 'events', text: JSON.stringify(world.events.published) });
    expect(world.events.published.length).toBeGreaterThan(0);
    // The doctor did try the login with the canary password (the stand-in has no TLS, so it fails).
    expect(
      runs.find((r) => r.where.startsWith('doctor --cluster') && r.where.endsWith('stdout'))?.text,
    ).toMatch(/tidb\.handshake/);
    expectNoLeak(runs);
  });
});

describe('the real bin: failure paths', () => {
  it('wrong key (401), API down, 5xx and an unreachable EC2 print no canary, with or without DEBUG', {
    timeout: 120_000,
  }, async () => {
    const aws503 = await startRawServer([{ status: 503, body: '<html>503 {{headers}}</html>' }]);
    const wrongKeySim = await startWorld({ simulator: { publicKey: CANARY.publicKey } });
    try {
      const cases: Array<[string, string[], Record<string, string>]> = [
        ['status ok', ['status', '--json'], cliEnv()],
        ['status wrong key', ['status'], { ...cliEnv(), TIDB_CLOUD_API_URL: wrongKeySim.sim.url }],
        ['status API down', ['status'], { ...cliEnv(), TIDB_CLOUD_API_URL: `${closedUrl}/v1beta1` }],
        [
          'status API down DEBUG',
          ['status'],
          { ...cliEnv(), TIDB_CLOUD_API_URL: `${closedUrl}/v1beta1`, TIDB_PRIVATELINK_DEBUG: '1' },
        ],
        [
          'reconcile EC2 503',
          ['reconcile'],
          { ...cliEnv(), AWS_ENDPOINT_URL: aws503.url.replace(/\/v1beta1$/, '') },
        ],
        [
          'doctor EC2 503',
          ['doctor', '--cluster', clusterId, '--timeout-ms', '3000', '--json'],
          { ...cliEnv(), AWS_ENDPOINT_URL: aws503.url.replace(/\/v1beta1$/, '') },
        ],
      ];
      const runs = await Promise.all(
        cases.map(async ([where, args, env]) => cliCaptures(where, await spawnCli(args, env))),
      );
      expect(runs[1]?.[1]?.text).toMatch(/rejected the API key/);
      expect(runs[2]?.[1]?.text).toMatch(/unreachable|ECONNREFUSED/);
      expectNoLeak(runs.flat());
    } finally {
      await aws503.close();
      await wrongKeySim.close();
    }
  });

  it('an HTTP layer that echoes the request headers (Authorization included) in its errors leaks nothing', {
    timeout: 120_000,
  }, async () => {
    const challenge = {
      status: 401,
      headers: { 'www-authenticate': 'Digest realm="tidb.cloud", nonce="n0nce1", qop="auth", algorithm=MD5' },
      body: '{"code":16,"message":"Unauthorized"}',
    };
    const echo = (status: number) => ({ status, body: `{"code":13,"message":"proxy says: {{headers}}"}` });
    const runs = await Promise.all(
      [500, 400, 403, 404].map(async (status) => {
        // A digest challenge to every request without credentials, the echo to every request with them.
        const server = await startRawServer((request) =>
          request.headers.authorization ? echo(status) : challenge,
        );
        try {
          const captures: Captured[] = [];
          for (const debug of [false, true]) {
            const env = {
              ...cliEnv(),
              TIDB_CLOUD_API_URL: server.url,
              ...(debug ? { TIDB_PRIVATELINK_DEBUG: '1' } : {}),
            };
            captures.push(
              ...cliCaptures(`HTTP ${status}${debug ? ' DEBUG' : ''}`, await spawnCli(['status'], env)),
            );
          }
          // The echo did carry the digest username (the public key): the redaction is what kept it out.
          const authorization = server.requests.map((r) => r.headers.authorization ?? '').join(' ');
          expect(authorization).toContain(`username="${CANARY.publicKey}"`);
          return captures;
        } finally {
          await server.close();
        }
      }),
    ).then((all) => all.flat());
    expect(runs.some((r) => r.text.includes('proxy says'))).toBe(true);
    expectNoLeak(runs);
  });
});

describe('every handler, with its secrets from Secrets Manager', () => {
  function lambdaConfig(apiKeyArn = ARN('api-key')) {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLEAKTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'leak-test');
    return loadConfig(
      {
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: sm.url.replace(/\/v1beta1$/, ''),
        TIDB_CLOUD_API_URL: world.sim.url,
        TIDB_CLOUD_API_KEY_SECRET_ARN: apiKeyArn,
        TIDB_SQL_SECRET_ARN: ARN('sql'),
        TIDB_CLOUD_REQUESTS_PER_MINUTE: '100000',
        PRIVATELINK_VPC_ID: world.ec2.world.vpcId,
        PRIVATELINK_SUBNET_IDS: world.ec2.world.subnetIds.join(','),
        PRIVATELINK_DATA_PLANE_FUNCTION: 'data-plane',
      },
      { apiKeys: 'secret', vpc: true, probe: true },
    );
  }

  /** The handler's own parts, with EC2 and events the world's under `fn`'s packaged role. */
  async function reconcileDeps(apiKeyArn?: string, fn: 'reconcile' | 'provision' = 'reconcile') {
    const deps = await createLambdaDeps(lambdaConfig(apiKeyArn), 5000, eventBridgeEvents);
    const { ec2, events } = await world.depsFor(fn);
    return { ...deps, ec2, events, clock: world.clock };
  }

  async function diagnosticsDeps(fn: 'probe' | 'troubleshoot', metrics: Metrics) {
    const deps = await createDiagnosticsDeps(lambdaConfig(), metrics, eventBridgeEvents);
    expect(deps.settings.credentials?.password).toBe(CANARY.sqlPassword);
    const { ec2, events, dataPlane } = await world.partsFor(fn, vpc.dataPlane);
    return {
      ...deps,
      ec2,
      events,
      clock: world.clock,
      dataPlane,
      settings: { ...deps.settings, dnsServer: vpc.dnsServer, timeoutMs: 3000 },
    };
  }

  it('reconcile, provision, troubleshoot, probe and the data plane: logs, metrics, events, results', async () => {
    const logger = () => new Logger({ serviceName: 'tidb-privatelink', logLevel: 'DEBUG' });
    const metrics = new Metrics({ namespace: 'TidbPrivateLink', serviceName: 'tidb-privatelink' });
    const runs = [
      ...(await capturing('reconcile', () =>
        createReconcileHandler(() => reconcileDeps(), logger())({}, lambdaContext()),
      )),
      ...(await capturing('provision', () =>
        createProvisionHandler(() => reconcileDeps(undefined, 'provision'), logger())(
          { 'detail-type': 'TiDB Cluster Detected', detail: { clusterId } },
          lambdaContext(),
        ),
      )),
      ...(await capturing('troubleshoot', () =>
        createTroubleshootHandler(() => diagnosticsDeps('troubleshoot', metrics), logger())(
          { 'detail-type': 'PrivateLink Troubleshoot Requested', detail: { clusterId } },
          lambdaContext(10_000),
        ),
      )),
      ...(await capturing('probe', () =>
        createProbeHandler(
          () => diagnosticsDeps('probe', metrics),
          logger(),
          metrics,
        )({}, lambdaContext(60_000)),
      )),
      ...(await capturing('data plane', () =>
        createDataPlaneHandler(vpc.dataPlane, logger())(
          {
            host: 'db.example.com',
            port: vpc.port,
            expectedAddresses: vpc.addresses,
            timeoutMs: 2000,
            dnsServer: vpc.dnsServer,
            credentials: { user: SQL_USER, password: CANARY.sqlPassword },
          },
          lambdaContext(),
        ),
      )),
    ];
    runs.push({ where: 'events', text: JSON.stringify(world.events.published) });
    expect(runs.find((r) => r.where === 'probe (printed)')?.text).toContain('"_aws"');
    expectNoLeak(runs);
  });

  it('a wrong key, a secret that is not JSON and a secret without the private key leak nothing', async () => {
    const runs = [
      ...(await capturing('wrong key', () =>
        createReconcileHandler(() => reconcileDeps(ARN('api-key-wrong')), new Logger())({}, lambdaContext()),
      )),
      ...(await capturing('not JSON', () => reconcileDeps(ARN('api-key-not-json')))),
      ...(await capturing('no privateKey', () => reconcileDeps(ARN('api-key-no-private')))),
    ];
    expect(runs.find((r) => r.where === 'wrong key (result or error)')?.text).toMatch(/rejected the API key/);
    expect(runs.find((r) => r.where === 'not JSON (result or error)')?.text).toMatch(/is not a JSON object/);
    expect(runs.find((r) => r.where === 'no privateKey (result or error)')?.text).toMatch(/no "privateKey"/);
    expectNoLeak(runs);
  });
});

describe('the demo', () => {
  it('npm run demo with the canary key pair prints no canary', { timeout: 240_000 }, async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const run = await new Promise<CliRun>((resolve) => {
      execFile(
        process.execPath,
        [tsx, 'scripts/demo.ts'],
        {
          cwd: root,
          timeout: 220_000,
          env: {
            PATH: process.env.PATH ?? '',
            NO_COLOR: '1',
            TIDB_CLOUD_PUBLIC_KEY: CANARY.publicKey,
            TIDB_CLOUD_PRIVATE_KEY: CANARY.privateKey,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('tidb-privatelink doctor');
    expectNoLeak(cliCaptures('demo', run));
  });
});
