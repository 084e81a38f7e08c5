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
  /** A spoke: the VPC is in this role's account, and every EC2, Route 53 and Resolver call about it assumes it. */
  roleArn?: string;
  /** STS's `ExternalId` for that role (only with `roleArn`). */
  externalId?: string;
  /** The spoke's data plane (only with `roleArn`); default: the name the spoke template gives it. */
  dataPlaneFunctionArn?: string;
  /** The role's account (only with `roleArn`; a VPC without one is in the hub's own account). */
  accountId?: string;
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

/** An IAM role ARN (any partition, any path); group 1 the partition, group 2 the account. */
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** STS's own rule for `ExternalId`. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** A Lambda function ARN, optionally qualified; groups: partition, region, account. */
const FUNCTION_ARN =
  /^arn:(aws[a-z-]*):lambda:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):function:[\w-]{1,64}(?::[\w$-]+)?$/;

/** The partition and account of a role ARN, or undefined when it is not one. */
export function roleAccount(roleArn: unknown): { partition: string; accountId: string } | undefined {
  const match = typeof roleArn === 'string' ? ROLE_ARN.exec(roleArn) : null;
  return match ? { partition: String(match[1]), accountId: String(match[2]) } : undefined;
}

/** What an entry's fields are checked against beyond themselves: the stack's region (when known). */
interface EntryContext {
  where: string;
  record: Record<string, unknown>;
  region: string | undefined;
}

/** Only a spoke entry may carry this field. */
const spokeOnly = (field: string, { where, record }: EntryContext) =>
  record.roleArn === undefined
    ? [`${where} has "${field}" without "roleArn" (it only belongs to a spoke VPC)`]
    : [];

function roleArnProblems(value: unknown, { where }: EntryContext): string[] {
  if (value === undefined || roleAccount(value)) return [];
  return [`${where} "roleArn" is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)`];
}

function externalIdProblems(value: unknown, context: EntryContext): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string' || !EXTERNAL_ID.test(value)) {
    // Not echoed: an external id is a shared secret of sorts.
    return [
      ...spokeOnly('externalId', context),
      `${context.where} "externalId" must be 2 to 1224 characters of letters, digits and +=,.@:/-_`,
    ];
  }
  return spokeOnly('externalId', context);
}

function dataPlaneArnProblems(value: unknown, context: EntryContext): string[] {
  if (value === undefined) return [];
  const { where, record, region } = context;
  const match = typeof value === 'string' ? FUNCTION_ARN.exec(value) : null;
  if (!match) {
    return [
      ...spokeOnly('dataPlaneFunctionArn', context),
      `${where} "dataPlaneFunctionArn" is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)`,
    ];
  }
  const role = roleAccount(record.roleArn);
  const [, partition, arnRegion, accountId] = match;
  return [
    ...spokeOnly('dataPlaneFunctionArn', context),
    ...(role && (role.accountId !== accountId || role.partition !== partition)
      ? [
          `${where} "dataPlaneFunctionArn" is in account ${accountId}, not the role's account ${role.accountId}`,
        ]
      : []),
    ...(region && arnRegion !== region
      ? [`${where} "dataPlaneFunctionArn" is in ${arnRegion}, not the stack's region ${region}`]
      : []),
  ];
}

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
const ENTRY_FIELDS: Record<string, (value: unknown, context: EntryContext) => string[]> = {
  vpcId: (value, { where }) =>
    isId('vpc', value)
      ? []
      : [`${where} needs "vpcId": a VPC id (vpc-…), not ${JSON.stringify(value ?? null)}`],
  subnetIds: (value, { where }) => idsProblems(value, 'subnetIds', 'subnet', where, true),
  securityGroupIds: (value, { where }) => idsProblems(value, 'securityGroupIds', 'sg', where, false),
  roleArn: roleArnProblems,
  externalId: externalIdProblems,
  dataPlaneFunctionArn: dataPlaneArnProblems,
};
const FIELDS = Object.keys(ENTRY_FIELDS);
/** The fields every entry has; the others are optional and named in the docs' form. */
const REQUIRED_FIELDS = ['vpcId', 'subnetIds', 'securityGroupIds'];

function entryProblems(entry: unknown, index: number, region: string | undefined): string[] {
  const where = `${VPCS_VARIABLE}[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return [`${where} is not an object {${REQUIRED_FIELDS.map((field) => `"${field}"`).join(',')},…}`];
  }
  const record = entry as Record<string, unknown>;
  const unknown = Object.keys(record)
    .filter((key) => !FIELDS.includes(key))
    .map((key) => `${where} has an unknown field "${key}" (fields: ${FIELDS.join(', ')})`);
  const context = { where, record, region };
  return [
    ...unknown,
    ...Object.entries(ENTRY_FIELDS).flatMap(([field, check]) => check(record[field], context)),
  ];
}

/**
 * A checked entry as the functions use it: optional lists present (empty when absent), a spoke's account
 * derived from its role, optional fields only when set.
 */
function targetOf(entry: VpcTarget): VpcTarget {
  const target: VpcTarget = {
    vpcId: entry.vpcId,
    subnetIds: entry.subnetIds,
    securityGroupIds: entry.securityGroupIds ?? [],
  };
  if (entry.roleArn === undefined) return target;
  return {
    ...target,
    roleArn: entry.roleArn,
    accountId: roleAccount(entry.roleArn)?.accountId,
    ...(entry.externalId === undefined ? {} : { externalId: entry.externalId }),
    ...(entry.dataPlaneFunctionArn === undefined ? {} : { dataPlaneFunctionArn: entry.dataPlaneFunctionArn }),
  };
}

/**
 * Across entries: a VPC listed twice, a subnet in two entries (a subnet belongs to one VPC), or no VPC of
 * the stack's own account.
 */
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
  // The template places the stack's own data plane (and the short form's values) in its first own VPC.
  if (vpcs.every((vpc) => vpc.roleArn !== undefined)) {
    problems.push(
      `${VPCS_VARIABLE} needs at least one VPC of the stack's own account (an entry without "roleArn"): the stack's first data plane runs there`,
    );
  }
  return problems;
}

/** `PRIVATELINK_VPCS` alone; undefined when it is not set. */
function readList(text: string, region: string | undefined): VpcsReading {
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
        `${VPCS_VARIABLE} must be a non-empty JSON list [{"vpcId","subnetIds":[…],"securityGroupIds":[…],"roleArn"?,"externalId"?,"dataPlaneFunctionArn"?}]`,
      ],
    };
  }
  const problems = parsed.flatMap((entry, index) => entryProblems(entry, index, region));
  if (problems.length > 0) return { vpcs: [], problems };
  const vpcs = (parsed as VpcTarget[]).map(targetOf);
  const cross = crossProblems(vpcs);
  return cross.length > 0 ? { vpcs: [], problems: cross } : { vpcs, problems: [] };
}

/**
 * The stack's VPCs from the environment. The short form gives one entry (checked by the caller as before);
 * `PRIVATELINK_VPCS` gives the list, in its order; both at once is a mistake, refused rather than guessed.
 * `region`, the stack's, is what a spoke's `dataPlaneFunctionArn` must be in (default: the environment's).
 * @example readVpcs({ PRIVATELINK_VPCS: '[{"vpcId":"vpc-0a","subnetIds":["subnet-0b"]}]' })
 */
export function readVpcs(
  env: Record<string, string | undefined>,
  region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined,
): VpcsReading {
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
  return readList(String(text), region);
}

/** Whether the entry is a spoke's: a VPC of another account, reached by assuming its role. */
export const isSpoke = (vpc: VpcTarget): boolean => vpc.roleArn !== undefined;
