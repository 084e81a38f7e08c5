/**
 * Several VPCs in one stack: each VPC has its own data-plane function, attached to that VPC, with its own
 * security group and subnets. An endpoint is probed from inside its own VPC only: DNS, routes and security
 * groups differ from one VPC to the next, so another VPC's answer would say nothing about this one.
 */
import type { DataPlaneBatchPort } from '../diagnose/ports.ts';

/** The data plane's placement: the traffic source the security-group and NACL checks evaluate. */
export interface Placement {
  securityGroupIds: string[];
  subnetIds: string[];
}

/** One VPC's data plane. */
export interface ProbeSite {
  vpcId: string;
  dataPlane: DataPlaneBatchPort;
  placement: Placement;
}

/** Where an endpoint is probed from: the data plane that runs in its VPC, and that data plane's placement. */
export interface SiteChoice {
  dataPlane: DataPlaneBatchPort;
  placement?: Placement;
}

/**
 * The site for an endpoint in `vpcId`: with sites configured, that VPC's own (none for a VPC the stack does
 * not serve); without, the stack's one data plane, for the stack's VPC (any VPC when none is set).
 */
export function siteFor(
  deps: { dataPlane: DataPlaneBatchPort; sites?: ProbeSite[] },
  settings: { vpcId?: string; placement?: Placement },
  vpcId: string,
): SiteChoice | undefined {
  if (deps.sites && deps.sites.length > 0) return deps.sites.find((site) => site.vpcId === vpcId);
  if (settings.vpcId !== undefined && settings.vpcId !== vpcId) return undefined;
  return { dataPlane: deps.dataPlane, placement: settings.placement };
}

/** Every placement subnet, read once with the endpoints' own subnets. */
export function placementSubnetsOf(
  sites: ProbeSite[] | undefined,
  placement: Placement | undefined,
): string[] {
  const all = sites && sites.length > 0 ? sites.map((site) => site.placement) : placement ? [placement] : [];
  return [...new Set(all.flatMap((each) => each.subnetIds))];
}
