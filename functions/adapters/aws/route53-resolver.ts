/**
 * `ResolverPort` over Route 53 Resolver's JSON 1.1 API, signed with the SDK's own SigV4 signer. The only
 * SDK client for this service the registry offers here is years old and brings a second copy of the whole
 * smithy stack into every bundle; the doctor needs six read-only list calls, so this small client makes
 * them with `fetch` (README "Choices"). It honours `AWS_ENDPOINT_URL` (passed in as `endpointUrl`), picks
 * its endpoint as the SDK would (partition, FIPS, dual-stack), follows `NextToken`, and retries throttling and
 * 5xx like the SDK's `standard` mode, but never past the caller's deadline.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { partition } from '@aws-sdk/core/client';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Provider } from '@smithy/types';
import { AwsError, ConfigError } from '../../core/errors.ts';
import type {
  FirewallRule,
  FirewallRuleGroupAssociation,
  ResolverEndpoint,
  ResolverRule,
  ResolverRuleAssociation,
} from '../../core/model.ts';
import type { CallOptions, ResolverPort } from '../../core/ports.ts';
import { linkSignal } from '../abort.ts';
import { DEFAULT_MAX_ATTEMPTS } from './clients.ts';

export interface ResolverClientOptions {
  region: string;
  /** The SDK's credential provider, e.g. an SDK client's `config.credentials`: one cache for all clients. */
  credentials: AwsCredentialIdentityProvider | AwsCredentialIdentity;
  /** A local sandbox (moto); default: the region's endpoint in its partition (see `resolverEndpoint`). */
  endpointUrl?: string;
  /**
   * `AWS_USE_FIPS_ENDPOINT` / `use_fips_endpoint` as an SDK client resolved it: pass that client's
   * `config.useFipsEndpoint`, so both read the environment and the shared config file alike.
   */
  useFipsEndpoint?: boolean | Provider<boolean>;
  /** `AWS_USE_DUALSTACK_ENDPOINT` / `use_dualstack_endpoint`, likewise (`config.useDualstackEndpoint`). */
  useDualstackEndpoint?: boolean | Provider<boolean>;
  fetch?: typeof fetch;
  /** Attempts per call, first one included. */
  maxAttempts?: number;
  /** Backoff base in ms (tests make it small). */
  retryBaseMs?: number;
}

type Json = Record<string, unknown>;

const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServiceErrorException',
  'ServiceUnavailableException',
]);

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? Number.NaN));
const list = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((item): item is Json => typeof item === 'object' && item !== null) : [];

/** `aws.protocols#AccessDeniedException:http://…` → `AccessDeniedException`. */
function errorCode(type: string): string {
  return type.split('#').pop()?.split(':')[0] ?? type;
}

export interface EndpointChoice {
  region: string;
  useFips: boolean;
  useDualStack: boolean;
  endpointUrl?: string;
}

/**
 * The Route 53 Resolver endpoint, by the service's own endpoint rule set (the SDKs generate theirs from it):
 * `route53resolver[-fips].<region>.<suffix>`, the suffix being the partition's DNS suffix, or its dual-stack
 * one. The partition data is the SDK's (`@aws-sdk/core`), so a new partition or region needs no edit here.
 * @example resolverEndpoint({ region: 'cn-north-1', useFips: false, useDualStack: false }).host
 *   // 'route53resolver.cn-north-1.amazonaws.com.cn'
 */
export function resolverEndpoint(choice: EndpointChoice): URL {
  const { region, useFips, useDualStack, endpointUrl } = choice;
  const wanted = [useFips ? 'FIPS' : '', useDualStack ? 'dual-stack' : ''].filter(Boolean).join(' and ');
  if (endpointUrl !== undefined) {
    // As the SDK: an explicit endpoint is taken as it is, so asking for a variant of it is a contradiction.
    if (wanted) throw new ConfigError([`a ${wanted} endpoint cannot be combined with AWS_ENDPOINT_URL`]);
    return new URL(endpointUrl);
  }
  const found = partition(region);
  if ((useFips && !found.supportsFIPS) || (useDualStack && !found.supportsDualStack)) {
    throw new ConfigError([`the AWS partition ${found.name} of ${region} offers no ${wanted} endpoints`]);
  }
  const host = useFips ? 'route53resolver-fips' : 'route53resolver';
  const suffix = useDualStack ? found.dualStackDnsSuffix : found.dnsSuffix;
  return new URL(`https://${host}.${region}.${suffix}`);
}

const resolved = async (value: boolean | Provider<boolean> | undefined): Promise<boolean> =>
  typeof value === 'function' ? value() : (value ?? false);

/**
 * @example const resolver = new Route53ResolverAdapter({ region, credentials: clients.ec2.config.credentials });
 */
export class Route53ResolverAdapter implements ResolverPort {
  readonly #options: ResolverClientOptions;
  /** Resolved at the first call: the FIPS and dual-stack settings may be providers (the SDK's are). */
  #url: Promise<URL> | undefined;
  readonly #signer: SignatureV4;
  readonly #maxAttempts: number;
  readonly #retryBaseMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ResolverClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#signer = new SignatureV4({
      service: 'route53resolver',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#retryBaseMs = options.retryBaseMs ?? 100;
  }

  async listResolverRules(options?: CallOptions): Promise<ResolverRule[]> {
    const rules = await this.#pages('ListResolverRules', 'ResolverRules', {}, options);
    return rules.map((rule) => ({
      resolverRuleId: str(rule.Id),
      ...(rule.Name ? { name: str(rule.Name) } : {}),
      domainName: str(rule.DomainName),
      ruleType: str(rule.RuleType),
      targetIps: list(rule.TargetIps).map(
        (target) => `${str(target.Ip ?? target.Ipv6)}:${num(target.Port ?? 53)}`,
      ),
    }));
  }

  async listResolverRuleAssociations(
    vpcId: string,
    options?: CallOptions,
  ): Promise<ResolverRuleAssociation[]> {
    const filter = { Filters: [{ Name: 'VPCId', Values: [vpcId] }] };
    const associations = await this.#pages(
      'ListResolverRuleAssociations',
      'ResolverRuleAssociations',
      filter,
      options,
    );
    return associations.map((association) => ({
      resolverRuleAssociationId: str(association.Id),
      resolverRuleId: str(association.ResolverRuleId),
      vpcId: str(association.VPCId),
      ...(association.Status ? { status: str(association.Status) } : {}),
    }));
  }

  async listResolverEndpoints(vpcId: string, options?: CallOptions): Promise<ResolverEndpoint[]> {
    const filter = { Filters: [{ Name: 'HostVPCId', Values: [vpcId] }] };
    const endpoints = await this.#pages('ListResolverEndpoints', 'ResolverEndpoints', filter, options);
    return endpoints.map((endpoint) => ({
      resolverEndpointId: str(endpoint.Id),
      direction: str(endpoint.Direction),
      hostVpcId: str(endpoint.HostVPCId),
      ...(endpoint.Status ? { status: str(endpoint.Status) } : {}),
    }));
  }

  async listFirewallRuleGroupAssociations(
    vpcId: string,
    options?: CallOptions,
  ): Promise<FirewallRuleGroupAssociation[]> {
    const associations = await this.#pages(
      'ListFirewallRuleGroupAssociations',
      'FirewallRuleGroupAssociations',
      { VpcId: vpcId },
      options,
    );
    return associations.map((association) => ({
      associationId: str(association.Id),
      firewallRuleGroupId: str(association.FirewallRuleGroupId),
      vpcId: str(association.VpcId),
      priority: num(association.Priority),
      ...(association.Name ? { name: str(association.Name) } : {}),
    }));
  }

  async listFirewallRules(firewallRuleGroupId: string, options?: CallOptions): Promise<FirewallRule[]> {
    const rules = await this.#pages(
      'ListFirewallRules',
      'FirewallRules',
      { FirewallRuleGroupId: firewallRuleGroupId },
      options,
    );
    return rules.map((rule) => ({
      firewallRuleGroupId: str(rule.FirewallRuleGroupId) || firewallRuleGroupId,
      firewallDomainListId: str(rule.FirewallDomainListId),
      name: str(rule.Name),
      priority: num(rule.Priority),
      action: str(rule.Action),
      ...(rule.BlockResponse ? { blockResponse: str(rule.BlockResponse) } : {}),
    }));
  }

  async listFirewallDomains(firewallDomainListId: string, options?: CallOptions): Promise<string[]> {
    const pages: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#call(
        'ListFirewallDomains',
        { FirewallDomainListId: firewallDomainListId, ...(token ? { NextToken: token } : {}) },
        options,
      );
      pages.push(...(Array.isArray(page.Domains) ? page.Domains.map(str) : []));
      token = str(page.NextToken) || undefined;
    } while (token);
    return pages;
  }

  /** Every page of a list operation, items from `key`. */
  async #pages(operation: string, key: string, input: Json, options?: CallOptions): Promise<Json[]> {
    const items: Json[] = [];
    let token: string | undefined;
    do {
      const page = await this.#call(operation, { ...input, ...(token ? { NextToken: token } : {}) }, options);
      items.push(...list(page[key]));
      token = str(page.NextToken) || undefined;
    } while (token);
    return items;
  }

  /** One operation with the SDK's standard retry: full-jitter exponential backoff on throttling and 5xx. */
  async #call(operation: string, input: Json, options?: CallOptions): Promise<Json> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#send(operation, input, options);
      } catch (error) {
        const retryable =
          error instanceof AwsError &&
          (RETRYABLE_CODES.has(error.awsCode) || error.awsCode.startsWith('HTTP 5'));
        if (!retryable || attempt >= this.#maxAttempts || options?.signal?.aborted) throw error;
        const backoffMs = Math.random() * Math.min(20_000, this.#retryBaseMs * 2 ** attempt);
        // A retry the caller would not wait for helps nobody: its answer is this error, now, not a timeout.
        if (options?.deadline !== undefined && Date.now() + backoffMs > options.deadline) throw error;
        // node:timers' own sleep takes its abort listener off when the time is up (a hand-rolled one here kept
        // it on the caller's signal for good).
        await delay(backoffMs, undefined, options?.signal ? { signal: options.signal } : {});
      }
    }
  }

  #endpoint(): Promise<URL> {
    const { region, endpointUrl, useFipsEndpoint, useDualstackEndpoint } = this.#options;
    this.#url ??= Promise.all([resolved(useFipsEndpoint), resolved(useDualstackEndpoint)]).then(
      ([useFips, useDualStack]) =>
        resolverEndpoint({ region, useFips, useDualStack, ...(endpointUrl ? { endpointUrl } : {}) }),
    );
    return this.#url;
  }

  async #send(operation: string, input: Json, options?: CallOptions): Promise<Json> {
    const body = JSON.stringify(input);
    const url = await this.#endpoint();
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname || '/',
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `Route53Resolver.${operation}`,
      },
      body,
    });
    // fetch keeps its abort listener until the request is garbage: give it a signal of its own, unlinked from
    // the caller's (which may serve a whole warm Lambda) as soon as the answer is read.
    const linked = linkSignal(options?.signal);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: linked.signal,
      });
      text = await response.text();
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      throw new AwsError(
        'NetworkingError',
        `${operation}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    } finally {
      linked.dispose();
    }
    const parsed = parseJson(text);
    if (response.ok) return parsed;
    const type = response.headers.get('x-amzn-errortype') ?? str(parsed.__type);
    const code = type ? errorCode(type) : `HTTP ${response.status}`;
    const message =
      str(parsed.message) || str(parsed.Message) || `${operation} failed with HTTP ${response.status}`;
    throw new AwsError(code, message);
  }
}

function parseJson(text: string): Json {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return typeof value === 'object' && value !== null ? (value as Json) : {};
  } catch {
    return {};
  }
}
