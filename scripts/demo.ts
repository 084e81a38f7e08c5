/**
 * `npm run demo`: the whole story on built-in local stand-ins, with nothing to configure and no network
 * beyond 127.0.0.1. TiDB Cloud is the simulator (real HTTP, real digest auth); AWS is the in-memory EC2 fake;
 * TiDB's minutes are compressed 60× (4 min of service creation → 4 s, 5 min of System Checking → 5 s).
 */
import { systemClock } from '../functions/adapters/system-clock.ts';
import type { AppEvent } from '../functions/core/ports.ts';
import { provision, reconcileAll } from '../functions/core/reconcile/reconcile.ts';
import { runCliWith } from '../test/kit/run-cli.ts';
import { startWorld, type World } from '../test/kit/world.ts';

const COMPRESSION = 60;
const started = Date.now();

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function stamp(): string {
  return `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
}

function narrate(event: AppEvent): void {
  const { detail } = event;
  const action =
    typeof detail.action === 'object' && detail.action
      ? (detail.action as { type?: string }).type
      : undefined;
  const extra = action ? `: ${action}` : detail.reason ? `: ${String(detail.reason)}` : '';
  say(`${stamp()} event  ${event.detailType}${extra} (cluster ${detail.clusterId})`);
}

async function cli(world: World, args: string[]): Promise<void> {
  const env = {
    TIDB_CLOUD_API_URL: world.sim.url,
    TIDB_CLOUD_PUBLIC_KEY: world.sim.publicKey,
    TIDB_CLOUD_PRIVATE_KEY: world.sim.privateKey,
    AWS_REGION: world.settings.region,
    PRIVATELINK_VPC_ID: world.settings.vpcId,
    PRIVATELINK_SUBNET_IDS: world.settings.subnetIds.join(','),
  };
  say(`$ tidb-privatelink ${args.join(' ')}`);
  const run = await runCliWith(args, env, world.cliDeps);
  process.stdout.write(run.stdout);
  if (run.stderr) process.stdout.write(run.stderr.replace(/^/gm, '  (stderr) '));
  say();
}

async function main(): Promise<void> {
  const world = await startWorld({
    clock: systemClock,
    pollIntervalMs: 5000 / COMPRESSION,
    // Time runs 60× faster, so the API quota does too: 100/min becomes 100 per second.
    requestsPerMinute: 95 * COMPRESSION,
    simulator: {
      rateLimitPerMinute: 100 * COMPRESSION,
      clusterCreateMs: 600_000 / COMPRESSION,
      serviceReadyMs: 240_000 / COMPRESSION,
      connectionAcceptMs: 300_000 / COMPRESSION,
    },
  });
  try {
    say('== TiDB Cloud (simulator) has two clusters; this stack runs in us-east-1 with a 3-subnet VPC');
    world.addCluster({ displayName: 'orders', state: 'ACTIVE' });
    world.sim.addCluster({ displayName: 'analytics-eu', regionId: 'aws-eu-west-1', state: 'ACTIVE' });
    await cli(world, ['status']);

    say('== A scheduled reconcile takes the existing cluster to Ready');
    world.events.onEvent(narrate);
    await reconcileAll(world.deps, { deadline: Date.now() + 60_000 });
    say();

    say('== A new cluster appears (CREATING → ACTIVE in 10 s, its private link service 4 s later)');
    const fresh = world.addCluster({ displayName: 'checkout' });
    say(`${stamp()} TiDB Cloud: cluster ${fresh.clusterId} "checkout" created`);
    const tick = await reconcileAll(world.deps);
    say(`${stamp()} schedule tick: ${tick.map((o) => `${o.clusterId} ${o.phase}`).join(', ')}`);
    const outcome = await provision(
      world.deps,
      { clusterId: fresh.clusterId },
      { deadline: Date.now() + 120_000 },
    );
    say(`${stamp()} provision: ${outcome.phase} with ${outcome.vpcEndpointId}`);
    for (const action of outcome.actions) say(`         ${action.at}  ${action.type}`);
    for (const skipped of outcome.skippedSubnets ?? []) {
      say(`         skipped ${skipped.subnetId} (${skipped.availabilityZoneId}): ${skipped.reason}`);
    }
    say();
    await cli(world, ['status']);
  } finally {
    await world.close();
  }
}

await main();
