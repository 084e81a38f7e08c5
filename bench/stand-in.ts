/**
 * A world whose clusters are Ready and reachable for real on loopback: the simulator and EC2 fake
 * (`startWorld`), plus the VPC stand-in (resolver, TiDB greeting servers on every ENI address, packet filter).
 * Every endpoint gets two ENIs (the service's AZs cover two of the VPC's three subnets), so the stand-in
 * must be given two addresses per cluster up front: the EC2 fake hands them out in creation order.
 */
import { reconcileAll } from '../functions/core/reconcile/reconcile.ts';
import type { SimCluster } from '../testing/tidbcloud-simulator/index.ts';
import { startVpcStandIn, type VpcStandIn } from '../testing/vpc-stand-in.ts';
import { startWorld, type World } from '../testing/world.ts';
import { UNLIMITED } from './reconcile.ts';

export const ENIS_PER_ENDPOINT = 2;

export interface StandInWorld {
  world: World;
  vpc: VpcStandIn;
  clusters: SimCluster[];
  /** Adds `count` clusters and reconciles until every one is Ready. */
  addReady(count: number): Promise<SimCluster[]>;
  close(): Promise<void>;
}

/** 127.0.2.1, 127.0.2.2, …: clear of the 127.0.0.x addresses the fake picks by itself and of 127.0.1.1. */
export function loopbackAddresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.${2 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}

export async function startStandInWorld(maxClusters: number): Promise<StandInWorld> {
  const world = await startWorld(UNLIMITED);
  const vpc = await startVpcStandIn(world.ec2, {
    sourceCidr: world.ec2.world.cidrBlock,
    addresses: loopbackAddresses(maxClusters * ENIS_PER_ENDPOINT),
  });
  // The default security group admits 4000; the stand-in's servers share one random port instead.
  vpc.admit(world.ec2.world.securityGroupId);
  const clusters: SimCluster[] = [];
  const addReady = async (count: number) => {
    if (clusters.length + count > maxClusters) throw new Error(`stand-in sized for ${maxClusters} clusters`);
    const added = Array.from({ length: count }, () => world.addCluster({ port: vpc.port }));
    for (const cluster of added) vpc.serve(cluster.serviceDnsName, cluster.serviceName);
    clusters.push(...added);
    const outcomes = await reconcileAll(world.deps, { deadline: world.clock.now() + 3_600_000 });
    const notReady = outcomes.filter((outcome) => outcome.phase !== 'Ready');
    if (notReady.length > 0) throw new Error(`${notReady.length} clusters did not become Ready`);
    return added;
  };
  const close = async () => {
    await vpc.close();
    await world.close();
  };
  return { world, vpc, clusters, addReady, close };
}
