/** `PRIVATELINK_DATA_PLANES`: written by the template (resources/plugins/data-plane-per-vpc.cjs), not by people. */

/** A VPC's own data-plane function and its placement (the traffic source the SG/NACL checks evaluate). */
export interface DataPlaneSite {
  vpcId: string;
  functionName: string;
  securityGroupIds: string[];
  subnetIds: string[];
}

const SITE_FIELDS = ['vpcId', 'functionName', 'securityGroupIds', 'subnetIds'] as const;

function isSite(value: unknown): value is DataPlaneSite {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const strings = (item: unknown) => Array.isArray(item) && item.every((id) => typeof id === 'string');
  return (
    typeof record.vpcId === 'string' &&
    typeof record.functionName === 'string' &&
    strings(record.securityGroupIds) &&
    strings(record.subnetIds)
  );
}

/** The sites of a set value, or undefined when it is not a JSON list of sites. */
export function parseDataPlanes(text: string): DataPlaneSite[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) && parsed.every(isSite) ? parsed : undefined;
}

export const dataPlaneSites = (name: string, value: string): string[] =>
  parseDataPlanes(value) ? [] : [`${name} is not a JSON list of {${SITE_FIELDS.join(',')}}`];
