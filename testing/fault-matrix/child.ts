/**
 * The fault matrix's worker process: the real `tidb-privatelink` command (`runCli`: flags, configuration,
 * the reconcile core, output and exit codes) with the parts a test must reach swapped in: TiDB Cloud is the
 * simulator over real HTTP with digest auth (from the usual TIDB_CLOUD_* variables), EC2 is the parent's
 * fake over loopback (FAULT_EC2_URL), and the clock is the shared scaled clock. The parent SIGKILLs it
 * right after side effects and starts it again.
 *
 * Usage: node --import tsx testing/fault-matrix/child.ts reconcile --json
 */
import { LocalDataPlane } from '../../functions/adapters/dataplane/local-data-plane.ts';
import { LogEventsPort } from '../../functions/adapters/log-events.ts';
import { TidbCloudClient } from '../../functions/adapters/tidbcloud/client.ts';
import { runCli } from '../../functions/cli/main.ts';
import { remoteEc2 } from './ec2-rpc.ts';
import { scaledClock, timeScaleFromEnv } from './scaled-clock.ts';

const env = process.env;
const runId = env.FAULT_RUN_ID ?? '';
const clock = scaledClock(timeScaleFromEnv(env));

process.exitCode = await runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env,
  },
  (config) => ({
    tidb: new TidbCloudClient({
      baseUrl: config.tidbCloud.apiUrl,
      publicKey: config.tidbCloud.publicKey ?? '',
      privateKey: config.tidbCloud.privateKey ?? '',
      requestsPerMinute: config.tidbCloud.requestsPerMinute,
      // The client's per-attempt timeout is real time: scale it as everything else.
      timeoutMs: Number(env.FAULT_REQUEST_TIMEOUT_MS ?? 30_000),
      now: clock.now,
      sleep: clock.sleep,
      userAgent: `tidb-privatelink fault-run/${runId}`,
    }),
    ec2: remoteEc2(env.FAULT_EC2_URL ?? '', runId),
    events: new LogEventsPort((line) => process.stderr.write(`${line}\n`)),
    clock,
    dataPlane: new LocalDataPlane(),
    preflight: () => {
      throw new Error('The fault matrix runs reconcile and provision only.');
    },
  }),
);
