/**
 * The VPCs one stack serves: `PRIVATELINK_VPCS` (a JSON list) or the single-VPC short form
 * (`PRIVATELINK_VPC_ID`, `PRIVATELINK_SUBNET_IDS`, `PRIVATELINK_SECURITY_GROUP_IDS`). Part of the settings
 * module, which the package-time resolver (resources/settings-module.cjs) bundles too, so the template and the
 * functions read the setting the same way.
 */

import { isId } from './rules.ts';

/** One VPC of the stack: where its endpoints are created and where its data plane runs. */
export interface VpcTarget {
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
}

export interface VpcsReading {
  /** Empty when nothing is configured or when there are problems. */
  vpcs: VpcTarget[];
  problems: string[];
}

export const VPCS_VARIABLE = 'PRIVATELINK_VPCS';
/** The short form; `PRIVATELINK_PROBE_SUBNET_IDS` belongs to it too (each listed VPC's data plane uses its subnets). */
export const SINGLE_VPC_VARIABLES = [
  'PRIVATELINK_VPC_ID',
  'PRIVATELINK_SUBNET_IDS',
  'PRIVATELINK_SECURITY_GROUP_IDS',
  'PRIVATELINK_PROBE_SUBNET_IDS',
] as const;

const isSet = (value: string | undefined) => (value ?? '').trim().length > 0;

/** Problems of one id list of one entry; `where` names the entry for the message. */
function idsProblems(value: unknown, field: string, prefix: string, where: string, required: boolean) {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || (required && value.length === 0)) {
    return [`${where} needs "${field}": a ${required ? 'non-empty ' : ''}list of id strings`];
  }
  const problems = value
    .filter((id) => !isId(prefix, id))
    .map((id) => `${where} "${field}" lists ${JSON.stringify(id)}, not a ${prefix}-… id`);
  const repeated = value.filter((id, index) => value.indexOf(id) !== index);
  if (repeated.length > 0)
    problems.push(`${where} "${field}" lists ${[...new Set(repeated)].join(', ')} twice`);
  return problems;
}

/**
 * The fields of one entry and their checks, in the order messages name them. A new (optional) field is one
 * more line here plus its place in VpcTarget and `targetOf`.
 */
const ENTRY_FIELDS: Record<string, (value: unknown, where: string) => string[]> = {
  vpcId: (value, where) =>
    isId('vpc', value)
      ? []
      : [`${where} needs "vpcId": a VPC id (vpc-…), not ${JSON.stringify(value ?? null)}`],
  subnetIds: (value, where) => idsProblems(value, 'subnetIds', 'subnet', where, true),
  securityGroupIds: (value, where) => idsProblems(value, 'securityGroupIds', 'sg', where, false),
};
const FIELDS = Object.keys(ENTRY_FIELDS);

function entryProblems(entry: unknown, index: number): string[] {
  const where = `${VPCS_VARIABLE}[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return [`${where} is not an object {${FIELDS.map((field) => `"${field}"`).join(',')}}`];
  }
  const record = entry as Record<string, unknown>;
  const unknown = Object.keys(record)
    .filter((key) => !FIELDS.includes(key))
    .map((key) => `${where} has an unknown field "${key}" (fields: ${FIELDS.join(', ')})`);
  return [
    ...unknown,
    ...Object.entries(ENTRY_FIELDS).flatMap(([field, check]) => check(record[field], where)),
  ];
}

/** A checked entry as the functions use it: optional lists present (empty when absent). */
function targetOf(entry: VpcTarget): VpcTarget {
  return { vpcId: entry.vpcId, subnetIds: entry.subnetIds, securityGroupIds: entry.securityGroupIds ?? [] };
}

/** Across entries: a VPC listed twice, or a subnet in two entries (a subnet belongs to one VPC). */
function crossProblems(vpcs: VpcTarget[]): string[] {
  const problems: string[] = [];
  const vpcIds = vpcs.map((vpc) => vpc.vpcId);
  const twice = vpcIds.filter((id, index) => vpcIds.indexOf(id) !== index);
  if (twice.length > 0)
    problems.push(`${VPCS_VARIABLE} lists ${[...new Set(twice)].join(', ')} more than once`);
  const subnets = vpcs.flatMap((vpc) => [...new Set(vpc.subnetIds)]);
  const shared = subnets.filter((id, index) => subnets.indexOf(id) !== index);
  if (shared.length > 0) {
    problems.push(`${VPCS_VARIABLE} lists subnet ${[...new Set(shared)].join(', ')} under two VPCs`);
  }
  return problems;
}

/** `PRIVATELINK_VPCS` alone; undefined when it is not set. */
function readList(text: string): VpcsReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { vpcs: [], problems: [`${VPCS_VARIABLE} is not valid JSON (${why})`] };
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    return {
      vpcs: [],
      problems: [
        `${VPCS_VARIABLE} must be a non-empty JSON list [{"vpcId","subnetIds":[…],"securityGroupIds":[…]}]`,
      ],
    };
  }
  const problems = parsed.flatMap(entryProblems);
  if (problems.length > 0) return { vpcs: [], problems };
  const vpcs = (parsed as VpcTarget[]).map(targetOf);
  const cross = crossProblems(vpcs);
  return cross.length > 0 ? { vpcs: [], problems: cross } : { vpcs, problems: [] };
}

/**
 * The stack's VPCs from the environment. The short form gives one entry (checked by the caller as before);
 * `PRIVATELINK_VPCS` gives the list; both at once is a mistake, refused rather than guessed.
 * @example readVpcs({ PRIVATELINK_VPCS: '[{"vpcId":"vpc-0a","subnetIds":["subnet-0b"]}]' })
 */
export function readVpcs(env: Record<string, string | undefined>): VpcsReading {
  const text = env[VPCS_VARIABLE];
  if (!isSet(text)) {
    const vpcId = (env.PRIVATELINK_VPC_ID ?? '').trim();
    const ids = (name: string) =>
      (env[name] ?? '')
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean);
    const single = {
      vpcId,
      subnetIds: ids('PRIVATELINK_SUBNET_IDS'),
      securityGroupIds: ids('PRIVATELINK_SECURITY_GROUP_IDS'),
    };
    return { vpcs: vpcId ? [single] : [], problems: [] };
  }
  const both = SINGLE_VPC_VARIABLES.filter((name) => isSet(env[name]));
  if (both.length > 0) {
    return {
      vpcs: [],
      problems: [
        `${VPCS_VARIABLE} and ${both.join(', ')} are both set: use either the list or the single-VPC variables, not both`,
      ],
    };
  }
  return readList(String(text));
}
