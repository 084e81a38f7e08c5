import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalDataPlane } from '../../../functions/adapters/dataplane/local-data-plane.ts';
import { TidbCloudClient } from '../../../functions/adapters/tidbcloud/client.ts';
import { createDataPlaneHandler, createTroubleshootHandler } from '../../../functions/app/diagnostics.ts';
import { createProvisionHandler } from '../../../functions/app/provisioning.ts';
import { loadConfig } from '../../../functions/config.ts';
import { ConfigError } from '../../../functions/core/errors.ts';
import { Ec2Fake } from '../../../testing/ec2-fake.ts';
import { fakePreflightPorts } from '../../../testing/preflight-fakes.ts';
import { startRawServer } from '../../../testing/raw-http-server.ts';
import { type CliRun, runCliWith, spawnCli } from '../../../testing/run-cli.ts';
import { type Simulator, startSimulator } from '../../../testing/tidbcloud-simulator/index.ts';
import { RecordingEvents } from '../../../testing/world.ts';
import {
  BASE_ENV,
  type CliCase,
  type CorpusCase,
  type EnvCase,
  type EventCase,
  KINDS,
  loadCorpus,
  type ResponseCase,
  withOverrides,
} from './cases.ts';

/**
 * The bad-input corpus (test/corpus/), one table: every case gets one clear sentence (CLI: exit 2 on
 * stderr, nothing on stdout; handlers: `{ rejected, reason }` and one warning), no stack trace, no side
 * effect (no mutating TiDB Cloud or EC2 call, for events not even a dependency built) and no hang (each
 * case ends within the test timeout, retries and pagination guards included).
 */
const corpus = loadCorpus();
const ofKind = <K extends CorpusCase['kind']>(kind: K) =>
  corpus.filter((c): c is Extract<CorpusCase, { kind: K }> => c.kind === kind);

const MUTATING_EC2 = /Action=(CreateVpcEndpoint|ModifyVpcEndpoint|CreateTags|DeleteVpcEndpoints)/;

/** One sentence on stderr and nothing else: no stack, no second line, nothing on stdout. */
function expectOneSentence(run: CliRun, pattern: string): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^tidb-privatelink: [A-Z-"]/);
  expect(lines[0]).toMatch(new RegExp(pattern));
  expect(lines[0]?.length).toBeLessThan(600);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

function lambdaContext(): Context {
  return {
    functionName: 'corpus',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:corpus',
    memoryLimitInMB: '256',
    awsRequestId: 'req-corpus',
    logGroupName: '/aws/lambda/corpus',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function handlerFor(testCase: EventCase, logger: Logger, built: { deps: number; probes: number }) {
  const getDeps = async (): Promise<never> => {
    built.deps += 1;
    throw new Error('dependencies built for a bad event');
  };
  const dataPlane = new LocalDataPlane();
  vi.spyOn(dataPlane, 'probe').mockImplementation(async () => {
    built.probes += 1;
    throw new Error('data plane probed with a bad input');
  });
  if (testCase.handler === 'provision') return createProvisionHandler(getDeps, logger);
  if (testCase.handler === 'troubleshoot') return createTroubleshootHandler(getDeps, logger);
  return createDataPlaneHandler(dataPlane, logger);
}

/** Every line the handler's Logger prints (POWERTOOLS_DEV: it prints through the global console). */
async function runEvent(testCase: EventCase) {
  const printed: string[] = [];
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...parts: unknown[]) => {
      printed.push(parts.map(String).join(' '));
    }),
  );
  try {
    const logger = new Logger({ serviceName: 'tidb-privatelink', logLevel: 'INFO' });
    const built = { deps: 0, probes: 0 };
    const handler = handlerFor(testCase, logger, built);
    const answer = await handler(testCase.event, lambdaContext());
    return { answer, built, logs: printed };
  } finally {
    for (const spy of spies) spy.mockRestore();
    vi.unstubAllEnvs();
  }
}

describe('inbound events: rejected once, before anything is built', () => {
  it.each(ofKind('event').map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const { answer, built, logs } = await runEvent(testCase);
    expect(answer).toEqual({ rejected: true, reason: expect.stringMatching(new RegExp(testCase.reason)) });
    const { reason } = answer as { reason: string };
    expect(reason.length).toBeLessThan(400);
    expect(built).toEqual({ deps: 0, probes: 0 });
    expect(logs).toHaveLength(1);
    const [line] = logs.map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(line).toMatchObject({ level: 'WARN', message: 'event rejected', reason });
    expect(JSON.stringify(line)).not.toMatch(/\bat .*\.ts:\d+/);
  });
});

describe.concurrent('CLI flags and values: exit 2 before any request', { timeout: 60_000 }, () => {
  it.each(ofKind('cli').map((c) => [c.name, c] as const))('%s', async (_name, testCase: CliCase) => {
    const server = await startRawServer([
      { status: 500, body: '{"code":13,"message":"must not be called"}' },
    ]);
    try {
      const env = {
        ...BASE_ENV,
        TIDB_CLOUD_API_URL: server.url,
        AWS_ENDPOINT_URL: server.url,
        ...testCase.env,
      };
      expectOneSentence(await spawnCli(testCase.args, env), testCase.stderr);
      expect(server.requests).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

function envOf(testCase: EnvCase, apiUrl: string): Record<string, string> {
  return withOverrides({ ...BASE_ENV, TIDB_CLOUD_API_URL: apiUrl, AWS_ENDPOINT_URL: apiUrl }, testCase.env);
}

describe.concurrent('environment values: one ConfigError naming the problem', { timeout: 60_000 }, () => {
  it.each(ofKind('env').map((c) => [c.name, c] as const))('%s', async (_name, testCase: EnvCase) => {
    const server = await startRawServer([
      { status: 500, body: '{"code":13,"message":"must not be called"}' },
    ]);
    try {
      const env = envOf(testCase, server.url);
      const error = (() => {
        try {
          loadConfig(env, testCase.needs);
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(new RegExp(testCase.message));
      if (testCase.args) expectOneSentence(await spawnCli(testCase.args, env), testCase.message);
      expect(server.requests).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe.concurrent('TiDB Cloud and EC2 answers: one sentence, no mutating call', { timeout: 60_000 }, () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ serviceReadyMs: 0, rateLimitPerMinute: 100_000 });
    sim.addCluster({ regionId: 'aws-us-east-1' });
  });

  afterAll(async () => {
    await sim.close();
  });

  /** TiDB Cloud from the raw server, in-process, against the EC2 fake. */
  async function tidbAnswers(testCase: ResponseCase, url: string) {
    const ec2 = Ec2Fake.withDefaultWorld({ region: 'us-east-1' });
    const events = new RecordingEvents();
    const tidb = new TidbCloudClient({
      baseUrl: url,
      publicKey: BASE_ENV.TIDB_CLOUD_PUBLIC_KEY ?? '',
      privateKey: BASE_ENV.TIDB_CLOUD_PRIVATE_KEY ?? '',
      requestsPerMinute: 100_000,
    });
    const clock = { now: Date.now, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
    const env = {
      ...BASE_ENV,
      PRIVATELINK_VPC_ID: ec2.world.vpcId,
      PRIVATELINK_SUBNET_IDS: ec2.world.subnetIds.join(','),
    };
    const run = await runCliWith(testCase.args, env, {
      tidb,
      ec2,
      events,
      clock,
      dataPlane: new LocalDataPlane(),
      preflight: () => fakePreflightPorts({ ec2, tidbUrl: url }),
    });
    expect(ec2.calls.CreateVpcEndpoint + ec2.calls.ModifyVpcEndpoint + ec2.calls.CreateTags).toBe(0);
    expect(events.published).toEqual([]);
    return run;
  }

  /** EC2 from the raw server, TiDB Cloud from the simulator: the real bin, as a user runs it. */
  async function ec2Answers(testCase: ResponseCase, url: string) {
    sim.clearRequests();
    const env = {
      ...BASE_ENV,
      TIDB_CLOUD_API_URL: sim.url,
      TIDB_CLOUD_PUBLIC_KEY: sim.publicKey,
      TIDB_CLOUD_PRIVATE_KEY: sim.privateKey,
      AWS_ENDPOINT_URL: url.replace(/\/v1beta1$/, ''),
    };
    const run = await spawnCli(testCase.args, env);
    expect(sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    return run;
  }

  it.each(ofKind('response').map((c) => [c.name, c] as const))(
    '%s',
    async (_name, testCase: ResponseCase) => {
      const server = await startRawServer(testCase.replies);
      try {
        const run =
          testCase.api === 'tidb'
            ? await tidbAnswers(testCase, server.url)
            : await ec2Answers(testCase, server.url);
        if ((testCase.exit ?? 2) === 2) expectOneSentence(run, testCase.stderr ?? '');
        else {
          expect(run.code, run.stderr).toBe(testCase.exit);
          expect(run.stdout).not.toMatch(new RegExp(testCase.stdoutExcludes ?? '^$'));
        }
        const mutating = server.requests.filter(
          (r) => /^(POST|DELETE) \/v1beta1/.test(r.line) || MUTATING_EC2.test(r.body),
        );
        expect(mutating).toEqual([]);
      } finally {
        await server.close();
      }
    },
  );
});

describe('the corpus itself', () => {
  it('has at least 60 cases, every kind represented', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    for (const kind of KINDS) expect(ofKind(kind).length).toBeGreaterThan(0);
  });

  it("docs/testing.md's Bad input section states the count of each kind", () => {
    const testing = readFileSync(new URL('../../../docs/testing.md', import.meta.url), 'utf8');
    const section = testing.split('## Bad input')[1]?.split('\n## ')[0] ?? '';
    const stated = Object.fromEntries(
      [...section.matchAll(/^\| `(\w+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    const actual = Object.fromEntries(KINDS.map((kind) => [kind, ofKind(kind).length]));
    expect(stated).toEqual(actual);
  });
});
