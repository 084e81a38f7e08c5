import {
  addReturnRoute,
  associateRouteTable,
  createInboundResolver,
  returnViaAppliance,
} from '../../remediation.ts';
import { type DiagnoseContext, ENDPOINT_EXISTS, endpointOf, need } from '../context.ts';
import { knownReturnTarget, type ReturnLeg, returnPaths, type SubnetReturnPath } from '../return-route.ts';
import type { Check, CheckOutcome } from '../runner.ts';

const FAILING: ReadonlySet<ReturnLeg['kind']> = new Set(['no-route', 'blackhole', 'wrong-way']);
/** Hops by which on-premises networks are reached: the private name must resolve there too. */
const ON_PREMISES: ReadonlySet<ReturnLeg['kind']> = new Set(['vpn-gateway', 'transit-gateway']);

function describeLeg(path: SubnetReturnPath, leg: ReturnLeg): string {
  const where = `${path.routeTableId}${path.viaMain ? ' (main)' : ''} of ${path.subnetId}`;
  const cidrs = leg.cidrs.join(', ');
  if (leg.kind === 'no-route') return `${where} has no route to ${cidrs}`;
  const target = leg.route?.target ?? '';
  if (leg.kind === 'blackhole') return `${where} sends ${cidrs} to ${target}, which is gone (blackhole)`;
  if (leg.kind === 'wrong-way') return `${where} sends ${cidrs} to ${target}, not back to a private network`;
  return `${where} routes ${cidrs} via ${target}`;
}

function fixLeg(path: SubnetReturnPath, leg: ReturnLeg, target: string | undefined): string[] {
  const routeTableId = path.routeTableId ?? '';
  return leg.cidrs.map((cidr) =>
    addReturnRoute({
      routeTableId,
      cidr,
      target,
      // A route for exactly this destination exists, going the wrong way: EC2 wants it replaced.
      replace: leg.route?.destination === cidr,
    }),
  );
}

/**
 * Skipped for a source inside the VPC: the `local` route always carries replies to it. Outside, the reply of
 * every endpoint subnet must leave by a peering connection, transit gateway, virtual private gateway or core
 * network; with on-premises behind a VPN/transit gateway, the VPC needs an inbound Resolver endpoint too.
 */
export const awsReturnRoute: Check<DiagnoseContext> = {
  id: 'aws.return-route',
  dependsOn: [ENDPOINT_EXISTS],
  async run({ observation, target }): Promise<CheckOutcome> {
    const endpoint = endpointOf(target);
    // From the request, not a read: the check needs nothing to know it has nothing to check.
    const { sourceCidr } = observation;
    if (!sourceCidr) {
      return {
        status: 'skip',
        summary: 'Skipped: the clients are inside the VPC (the local route returns their traffic).',
      };
    }
    // The route tables only: the DNS path's reads are no concern of this check, however slow they are.
    const routeTables = await observation.networkPath.routeTables;
    const view = need(routeTables, `the route tables of ${observation.vpcId ?? 'the VPC'}`);
    const paths = returnPaths(view.tables, endpoint.subnetIds, sourceCidr, view.prefixLists);
    const legs = paths.flatMap((path) => path.legs.map((leg) => ({ path, leg })));
    if (legs.length > 0 && legs.every(({ leg }) => leg.kind === 'local')) {
      return {
        status: 'skip',
        summary: `Skipped: ${sourceCidr} is inside the VPC (the local route returns its traffic).`,
      };
    }
    const outside = legs.filter(({ leg }) => leg.kind !== 'local');
    const missingTable = paths.filter((path) => !path.routeTableId);
    const failing = outside.filter(({ leg }) => FAILING.has(leg.kind));
    const evidence: Record<string, unknown> = {
      source: sourceCidr,
      routeTables: paths.map((path) => ({
        subnetId: path.subnetId,
        routeTableId: path.routeTableId ?? null,
        main: path.viaMain,
      })),
      routes: outside.map(({ path, leg }) => describeLeg(path, leg)),
    };
    if (missingTable.length > 0 || failing.length > 0) {
      const returnTarget = knownReturnTarget(view.tables, sourceCidr, view.prefixLists);
      const problems = [
        ...missingTable.map((path) => `${path.subnetId} has no route table`),
        ...failing.map(({ path, leg }) => describeLeg(path, leg)),
      ];
      const fixes = [
        ...missingTable.map((path) => associateRouteTable(path.subnetId)),
        ...failing.flatMap(({ path, leg }) => fixLeg(path, leg, returnTarget)),
      ];
      return {
        status: 'fail',
        summary: `Replies to ${sourceCidr} cannot get back: ${problems.join('; ')}.`,
        evidence,
        remediation: [...new Set(fixes)].join('\n'),
      };
    }
    return advice({ observation, target, outside, evidence, sourceCidr });
  },
};

/** Every reply goes back by a return hop; what is left to warn about is appliances and on-premises DNS. */
async function advice({
  observation,
  target,
  outside,
  evidence,
  sourceCidr,
}: Pick<DiagnoseContext, 'observation' | 'target'> & {
  outside: { path: SubnetReturnPath; leg: ReturnLeg }[];
  evidence: Record<string, unknown>;
  sourceCidr: string;
}): Promise<CheckOutcome> {
  const hops = [...new Set(outside.flatMap(({ leg }) => leg.route?.target ?? []))];
  const appliances = outside
    .filter(({ leg }) => leg.kind === 'appliance')
    .map(({ leg }) => leg.route?.target ?? '');
  const onPremises = outside.some(({ leg }) => ON_PREMISES.has(leg.kind));
  // Only on-premises clients need the inbound Resolver endpoints: nobody else waits for that read.
  const endpoints = onPremises ? await observation.networkPath.resolverEndpoints : undefined;
  const inbound = endpoints?.ok
    ? endpoints.value.filter(
        (endpoint) =>
          endpoint.direction.toUpperCase() === 'INBOUND' && endpoint.status?.toUpperCase() !== 'DELETING',
      )
    : undefined;
  if (onPremises) {
    evidence.inboundResolverEndpoints = inbound
      ? inbound.map((endpoint) => endpoint.resolverEndpointId)
      : `unknown: ${endpoints && !endpoints.ok ? endpoints.error.message : 'not read'}`;
  }
  const warnings: string[] = [];
  const fixes: string[] = [];
  if (appliances.length > 0) {
    warnings.push(`replies to ${sourceCidr} pass through ${[...new Set(appliances)].join(', ')}`);
    fixes.push(returnViaAppliance([...new Set(appliances)]));
  }
  if (onPremises && inbound?.length === 0 && observation.vpcId) {
    warnings.push(
      `${observation.vpcId} has no Route 53 Resolver inbound endpoint, so on-premises clients cannot resolve ${target.host ?? 'the private name'}`,
    );
    fixes.push(
      createInboundResolver(observation.vpcId, endpointOf(target).subnetIds, target.host ?? '<host>'),
    );
  }
  if (warnings.length > 0) {
    return {
      status: 'warn',
      summary: `Routes back to ${sourceCidr} exist, but ${warnings.join('; ')}.`,
      evidence,
      remediation: fixes.join('\n'),
    };
  }
  return {
    status: 'pass',
    summary: `The endpoint subnets route ${sourceCidr} back via ${hops.join(', ')}.`,
    evidence,
  };
}
