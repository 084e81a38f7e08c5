/**
 * What the doctor reads, as values: each call's answer or its error (`Observed`), the request that says what to
 * read, and the views of the DNS path. `gather`, `gather-network` and `dns-path` all build on these, so they
 * live below all three and none of them needs another to name a type.
 */
import {
  TidbCloudAuthError,
  TidbCloudForbiddenError,
  TidbCloudNotFoundError,
  TidbCloudQuotaExhaustedError,
  UsageError,
} from '../errors.ts';
import type {
  FirewallRule,
  FirewallRuleGroupAssociation,
  ResolverRule,
  ResolverRuleAssociation,
} from '../model.ts';
import type { CallOptions } from '../ports.ts';
import { deadlineSignal, settleBefore } from './deadline.ts';

export interface ObservationError {
  /** The API action, e.g. `ec2:DescribeNetworkAcls`: it names the IAM permission too. */
  action: string;
  message: string;
  timedOut: boolean;
  /** The API answered 404: for TiDB's private link service, "not created yet". */
  notFound: boolean;
  /** TiDB Cloud's quota is used up until this time (ISO), past the deadline: the call was not waited for. */
  quotaResetsAt?: string;
}

export type Observed<T> = { ok: true; value: T } | { ok: false; error: ObservationError };

/** Where clients connect from, for the security-group and network-ACL checks. */
export type TrafficSourceRequest = { cidr: string } | { securityGroupId: string };

export interface TrafficSource {
  /** `cidr`/`security-group`: given by the user; `probe`: the probe Lambda's own; `vpc`: every VPC CIDR. */
  kind: 'cidr' | 'security-group' | 'probe' | 'vpc';
  label: string;
  cidrs: string[];
  securityGroupIds: string[];
}

export interface GatherRequest {
  clusterId: string;
  tidbNodeGroupId?: string;
  vpcEndpointId?: string;
  vpcId?: string;
  region: string;
  source?: TrafficSourceRequest;
  /** In Lambda: the probe's own network placement, the default source. */
  probe?: { securityGroupIds: string[]; subnetIds: string[] };
}

export const ok = <T>(value: T): Observed<T> => ({ ok: true, value });

/** Errors that mean the doctor was asked the wrong thing or cannot authenticate: no report can help. */
function isFatal(error: unknown, action: string): boolean {
  if (error instanceof TidbCloudAuthError || error instanceof TidbCloudForbiddenError) return true;
  if (error instanceof UsageError) return true;
  return error instanceof TidbCloudNotFoundError && action === 'tidbcloud:GetCluster';
}

/**
 * Wraps port calls: raced against the deadline, errors become `Observed` failures unless fatal. `deadline`
 * (epoch ms) tells the ports when waiting stops being useful.
 */
export function observer(signal: AbortSignal, deadline?: number) {
  const options: CallOptions = deadline === undefined ? { signal } : { signal, deadline };
  return async <T>(action: string, call: (options: CallOptions) => Promise<T>): Promise<Observed<T>> => {
    if (signal.aborted) {
      return {
        ok: false,
        error: { action, message: 'not started: deadline reached', timedOut: true, notFound: false },
      };
    }
    const settled = await settleBefore(call(options), signal);
    if (settled.ok) return ok(settled.value);
    if (isFatal(settled.error, action)) throw settled.error;
    const message = settled.aborted
      ? 'no answer before the deadline'
      : settled.error instanceof Error
        ? settled.error.message
        : String(settled.error);
    const notFound = settled.error instanceof TidbCloudNotFoundError;
    const quota =
      settled.error instanceof TidbCloudQuotaExhaustedError
        ? { quotaResetsAt: settled.error.resetAt.toISOString() }
        : {};
    return { ok: false, error: { action, message, timedOut: settled.aborted, notFound, ...quota } };
  };
}

export type Observe = ReturnType<typeof observer>;

/**
 * The share of the remaining budget kept back from the optional reads (the DNS path and routes), so that a
 * check awaiting one that hangs still reports its own verdict, with that part unknown, before the deadline.
 */
export const OPTIONAL_READ_MARGIN = 0.1;

/** An observer whose reads give up a margin before the deadline (without one, the same as `observer`). */
export function optionalObserver(signal: AbortSignal, deadline?: number): Observe {
  if (deadline === undefined) return observer(signal);
  const budgetMs = Math.max(0, Math.floor((deadline - Date.now()) * (1 - OPTIONAL_READ_MARGIN)));
  return observer(deadlineSignal(budgetMs, signal), Date.now() + budgetMs);
}

export interface ResolverRulesView {
  rules: ResolverRule[];
  associations: ResolverRuleAssociation[];
}

export interface FirewallView {
  associations: FirewallRuleGroupAssociation[];
  rules: FirewallRule[];
  /** Domains per domain list id, for the lists that could be read. */
  domains: Record<string, string[]>;
  /** Domain lists that could not be read (AWS-managed lists cannot be listed): `id: error`. */
  unreadLists: string[];
}
