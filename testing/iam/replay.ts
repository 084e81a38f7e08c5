/**
 * Proves the roles are least and the enforcement can fail: the decisions the suites recorded
 * (`TIDB_PRIVATELINK_IAM_RECORD`, testing/iam/enforce.ts) are replayed against each role with one statement
 * removed at a time. A statement is needed when some recorded, allowed request is then denied (that request
 * is its witness); one that no recorded request needs must be listed in iam.yml's `unexercisedBySuites` with
 * the reason (what Lambda itself does with the role, which no suite makes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AwsRequest, type Role, simulate } from '../iam-engine.ts';
import type { RecordedDecision } from './enforce.ts';

type Statement = { Action?: string | string[] } & Record<string, unknown>;

export interface StatementVerdict {
  principal: string;
  /**
   * Whose statement it is: the principal's own, or, for a managed policy several principals hold (the
   * read-only operator policy is in both operator sets), the policy's, so a request of either holder counts.
   */
  owner: string;
  /** `policy name #index`, and the statement's actions, to find it in iam.yml. */
  statement: string;
  actions: string[];
  /** A recorded request this statement alone allows; absent when none needs it. */
  witness?: AwsRequest;
  /** iam.yml's reason for keeping a statement no recorded request needs. */
  justification?: string;
}

/** Every `.jsonl` record in `dir`, one entry per distinct (principal, role, request). */
export function readRecord(dir: string): RecordedDecision[] {
  const seen = new Set<string>();
  return readdirSync(dir)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean))
    .filter((line) => !seen.has(line) && seen.add(line) !== undefined)
    .map((line) => JSON.parse(line) as RecordedDecision);
}

/** `unexercisedBySuites:` in iam.yml: action → the reason no suite needs the statement granting it. */
export function justificationsIn(iamYml: string): Map<string, string> {
  const block = iamYml.split(/^unexercisedBySuites:\n/m)[1] ?? '';
  const reasons = new Map<string, string>();
  for (const line of block.split('\n')) {
    if (/^\S/.test(line)) break;
    const match = /^ {2}([\w-]+:[\w*]+): (.+)$/.exec(line);
    if (match) reasons.set(match[1] as string, match[2] as string);
  }
  return reasons;
}

const actionsOf = (statement: Statement) => [statement.Action ?? []].flat();

/** The role without statement `index` of policy `policyIndex`. */
function without(role: Role, policyIndex: number, index: number): Role {
  const copy = structuredClone(role);
  const document = copy.policies[policyIndex]?.policy as unknown as { Statement: Statement[] };
  document.Statement.splice(index, 1);
  return copy;
}

async function witnessFor(role: Role, requests: AwsRequest[]): Promise<AwsRequest | undefined> {
  for (const request of requests) {
    if ((await simulate(role, request)).decision !== 'Allowed') return request;
  }
  return undefined;
}

type Policy = Role['policies'][number];
const policyKey = (policy: Policy) => `${policy.name}\0${JSON.stringify(policy.policy)}`;

/**
 * The names of managed policies: one that more than one recorded principal holds with the same document in
 * some package (a function's inline policy shares its name with the others', never its document).
 */
function sharedPolicies(holders: Array<{ principal: string; role: Role }>): Set<string> {
  const holdersOf = new Map<string, Set<string>>();
  for (const { principal, role } of holders) {
    for (const policy of role.policies) {
      const key = policyKey(policy);
      holdersOf.set(key, (holdersOf.get(key) ?? new Set()).add(principal));
    }
  }
  const shared = [...holdersOf].filter(([, principals]) => principals.size > 1);
  return new Set(shared.map(([key]) => key.split('\0')[0] as string));
}

/** Each statement of each recorded role: the recorded request that needs it, or iam.yml's reason, or neither. */
export async function replay(
  record: RecordedDecision[],
  reasons: Map<string, string>,
): Promise<StatementVerdict[]> {
  const byRole = new Map<string, { principal: string; role: Role; allowed: AwsRequest[] }>();
  for (const entry of record) {
    const key = `${entry.principal}\0${JSON.stringify(entry.role)}`;
    const group = byRole.get(key) ?? { principal: entry.principal, role: entry.role, allowed: [] };
    if (entry.decision === 'Allowed') group.allowed.push(entry.request);
    byRole.set(key, group);
  }
  const shared = sharedPolicies([...byRole.values()].map(({ principal, role }) => ({ principal, role })));
  const verdicts: StatementVerdict[] = [];
  for (const { principal, role, allowed } of byRole.values()) {
    for (const [policyIndex, policy] of role.policies.entries()) {
      const owner = shared.has(policy.name) ? `policy ${policy.name}` : principal;
      const statements = (policy.policy as { Statement: Statement[] }).Statement;
      for (const [index, statement] of statements.entries()) {
        const actions = actionsOf(statement);
        const witness = await witnessFor(without(role, policyIndex, index), allowed);
        const justification = actions.map((action) => reasons.get(action)).find(Boolean);
        verdicts.push({
          principal,
          owner,
          statement: `${policy.name} #${index}`,
          actions,
          ...(witness ? { witness } : {}),
          ...(!witness && justification ? { justification } : {}),
        });
      }
    }
  }
  return verdicts;
}

/**
 * One verdict per statement of each function, across the packages the suites used (a two-VPC stack's role
 * has the same statements as a one-VPC stack's): needed if any package's record needs it.
 */
export function perStatement(verdicts: StatementVerdict[]): StatementVerdict[] {
  const merged = new Map<string, StatementVerdict>();
  for (const verdict of verdicts) {
    const key = `${verdict.owner}\0${verdict.statement}\0${verdict.actions.join(',')}`;
    const held = merged.get(key);
    if (!held || (!held.witness && verdict.witness)) merged.set(key, verdict);
  }
  return [...merged.values()];
}

/** The statements that are neither needed by a recorded request nor justified in iam.yml. */
export const unjustified = (verdicts: StatementVerdict[]) =>
  verdicts.filter((verdict) => !verdict.witness && !verdict.justification);
