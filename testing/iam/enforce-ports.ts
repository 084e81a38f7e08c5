/**
 * IAM in front of the in-memory ports (the state table's fakes, secrets, the data plane, Route 53 and its
 * Resolver, preflight's reads): one table per port says, for each method, the IAM request(s) AWS evaluates
 * for what the real adapter (functions/adapters/aws/*.ts) sends, and which protocol words the refusal. A
 * view generated from the table decides each call with an `Authorizer` (cached, recorded) before the fake
 * sees it; methods the table does not name are the fake's own (world building, a test's look).
 */
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { quotaKeyOf } from '../../functions/adapters/aws/dynamodb-quota.ts';
import type { DataPlanePort } from '../../functions/core/diagnose/ports.ts';
import type {
  ClusterRegistry,
  HealthRecordPort,
  HostedZonesPort,
  LeaseStore,
  QuotaCounter,
  QuotaTake,
  ResolverPort,
} from '../../functions/core/ports.ts';
import type { PreflightPorts, SecretPort } from '../../functions/core/preflight/ports.ts';
import type { VpcTarget } from '../../functions/settings/vpcs.ts';
import { ACCOUNT, type AwsRequest, REGION } from '../iam-engine.ts';
import { Authorizer, type Protocol } from './enforce.ts';
import { rolesFor } from './roles.ts';

/** What one method is, to IAM: the requests a call with these arguments makes, and how a refusal reads. */
export interface MethodRule {
  protocol: Protocol;
  requests(args: unknown[]): AwsRequest[];
}

export type PortRules = Readonly<Record<string, MethodRule>>;

/**
 * The state table as the packaged roles name it: the engine resolves `!GetAtt StateTable.Arn` to the
 * logical id (testing/iam-engine.ts), so the fakes' one table is this ARN.
 */
export const STATE_TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/StateTable`;
/** The data plane as the packaged stack names it (`${service}-${stage}-dataPlane`, stage `dev`). */
export const DATA_PLANE_FUNCTION = 'tidb-privatelink-dev-dataPlane';

const text = (value: unknown): string => String(value);

/**
 * A DynamoDB item operation on the state table: AWS puts the item's partition key value in the context as
 * `dynamodb:LeadingKeys` (what the operator policies' conditions read).
 */
function item(action: string, keyOf: (args: unknown[]) => string): MethodRule {
  return {
    protocol: 'json',
    requests: (args) => [
      { action, resource: STATE_TABLE_ARN, context: { 'dynamodb:LeadingKeys': [keyOf(args)] } },
    ],
  };
}

/** A call on one resource with no condition keys of its own. */
function plain(protocol: Protocol, action: string, resourceOf: (args: unknown[]) => string): MethodRule {
  return { protocol, requests: (args) => [{ action, resource: resourceOf(args) }] };
}

const cluster = (args: unknown[]) => `cluster#${text(args[0])}`;

/** ClusterRegistry and HealthRecordPort (functions/adapters/aws/dynamodb-registry.ts). */
export const REGISTRY_RULES: PortRules = {
  recordSighting: item('dynamodb:UpdateItem', cluster),
  setPhase: item('dynamodb:UpdateItem', cluster),
  recordService: item('dynamodb:UpdateItem', cluster),
  markDeleted: item('dynamodb:UpdateItem', cluster),
  get: item('dynamodb:GetItem', cluster),
  // A Scan reads the whole table: no leading key in its context.
  list: plain('json', 'dynamodb:Scan', () => STATE_TABLE_ARN),
  recordHealth: item(
    'dynamodb:UpdateItem',
    (args) => `health#${(args[0] as { vpcEndpointId: string }).vpcEndpointId}`,
  ),
};

/** QuotaCounter (dynamodb-quota.ts): one conditional update of the limit's ring item. */
export const QUOTA_COUNTER_RULES: PortRules = {
  tryTake: item('dynamodb:UpdateItem', (args) => quotaKeyOf((args[0] as QuotaTake).limit)),
};

/** LeaseStore (dynamodb-lease.ts): taking and releasing are each one conditional update. */
export const LEASE_RULES: PortRules = {
  tryTake: item('dynamodb:UpdateItem', (args) => `lease#${text(args[0])}`),
  release: item('dynamodb:UpdateItem', (args) => `lease#${text(args[0])}`),
};

const recordKey = (args: unknown[]) => (args[0] as { idempotencyKey: string }).idempotencyKey;

/** Powertools Idempotency's DynamoDB layer: the persistence methods the fake overrides, as that layer sends them. */
export const IDEMPOTENCY_RULES: PortRules = {
  _getRecord: item('dynamodb:GetItem', (args) => text(args[0])),
  _putRecord: item('dynamodb:PutItem', recordKey),
  _updateRecord: item('dynamodb:UpdateItem', recordKey),
  _deleteRecord: item('dynamodb:DeleteItem', recordKey),
};

/** SecretPort (secrets.ts): GetSecretValue on the ARN asked for, which is also the request's `SecretId`. */
export const SECRET_RULES: PortRules = {
  secretString: {
    protocol: 'json',
    requests: ([arn]) => [
      {
        action: 'secretsmanager:GetSecretValue',
        resource: text(arn),
        context: { 'secretsmanager:SecretId': text(arn) },
      },
    ],
  },
};

/** The data plane (lambda-data-plane.ts): a synchronous Invoke of the in-VPC function, one or a batch. */
export function dataPlaneRules(functionName = DATA_PLANE_FUNCTION): PortRules {
  const invoke = plain(
    'json',
    'lambda:InvokeFunction',
    () => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
  );
  return { probe: invoke, probeMany: invoke };
}

/** Route 53 (route53.ts): ListHostedZonesByVPC has no resource type, so IAM evaluates it on `*`. */
export const HOSTED_ZONE_RULES: PortRules = {
  listHostedZonesByVpc: plain('query', 'route53:ListHostedZonesByVPC', () => '*'),
};

const resolverArn = (type: string) => (args: unknown[]) =>
  `arn:aws:route53resolver:${REGION}:${ACCOUNT}:${type}/${text(args[0])}`;

/** Route 53 Resolver and its DNS Firewall (route53-resolver.ts, JSON protocol). */
export const RESOLVER_RULES: PortRules = {
  listResolverRules: plain('json', 'route53resolver:ListResolverRules', () => '*'),
  listResolverRuleAssociations: plain('json', 'route53resolver:ListResolverRuleAssociations', () => '*'),
  listResolverEndpoints: plain('json', 'route53resolver:ListResolverEndpoints', () => '*'),
  listFirewallRuleGroupAssociations: plain(
    'json',
    'route53resolver:ListFirewallRuleGroupAssociations',
    () => '*',
  ),
  listFirewallRules: plain('json', 'route53resolver:ListFirewallRules', resolverArn('firewall-rule-group')),
  listFirewallDomains: plain(
    'json',
    'route53resolver:ListFirewallDomains',
    resolverArn('firewall-domain-list'),
  ),
};

/** The doctor's DNS path: one fake serves both ports (testing/dns-path-fake.ts). */
export const DNS_PATH_RULES: PortRules = { ...HOSTED_ZONE_RULES, ...RESOLVER_RULES };

/** Service Quotas (service-quotas.ts): the applied quota of interface endpoints per VPC. */
export const SERVICE_QUOTA_RULES: PortRules = {
  interfaceEndpointsPerVpc: plain(
    'json',
    'servicequotas:GetServiceQuota',
    () => `arn:aws:servicequotas:${REGION}:${ACCOUNT}:vpc/L-29B6F2EB`,
  ),
};

/** Lambda GetAccountSettings (lambda-account.ts) has no resource type. */
export const LAMBDA_ACCOUNT_RULES: PortRules = {
  concurrency: plain('json', 'lambda:GetAccountSettings', () => '*'),
};

/** EventBridge DescribeEventBus (event-buses.ts) on the named bus. */
export const EVENT_BUS_RULES: PortRules = {
  exists: plain(
    'json',
    'events:DescribeEventBus',
    (args) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${text(args[0])}`,
  ),
};

/**
 * The authority of `who` (a function of the stack, or an operator policy) in a stack packaged for `vpcs`.
 */
export async function authorizerAs(who: string, vpcs: VpcTarget[]): Promise<Authorizer> {
  const role = (await rolesFor(vpcs))[who];
  if (!role) throw new Error(`the packaged stack has no function or policy ${who}`);
  return new Authorizer(who, role);
}

/** `method` of `port`, decided against `authorizer` first, then run with `self` as `this`. */
function guarded(
  authorizer: Authorizer,
  rule: MethodRule,
  method: (...args: unknown[]) => unknown,
  self: object,
) {
  return async (...args: unknown[]) => {
    await authorizer.authorize(rule.protocol, rule.requests(args));
    return method.apply(self, args);
  };
}

/**
 * `authorizer`'s view of a shared fake: every method `rules` names is decided first; the rest, and every
 * property, are the fake's own. Methods run on the fake itself, so its private fields keep working.
 */
export function enforcedPort<T extends object>(port: T, authorizer: Authorizer, rules: PortRules): T {
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      const rule =
        typeof property === 'string' && Object.hasOwn(rules, property) ? rules[property] : undefined;
      const method = value as (...args: unknown[]) => unknown;
      return rule ? guarded(authorizer, rule, method, target) : method.bind(target);
    },
  });
}

/**
 * The same guard, put on the object itself: for a fake whose library calls these methods on `this` (the
 * Powertools persistence layer calls its own `_putRecord`, …, and keeps private fields a view cannot reach).
 * Only for an object that is one principal's alone (each function has its own idempotency store).
 */
export function enforceInPlace<T extends object>(port: T, authorizer: Authorizer, rules: PortRules): T {
  for (const [name, rule] of Object.entries(rules)) {
    const method = Reflect.get(port, name) as unknown;
    if (typeof method !== 'function') throw new Error(`the port has no method ${name} to enforce`);
    Object.defineProperty(port, name, {
      value: guarded(authorizer, rule, method as (...args: unknown[]) => unknown, port),
      configurable: true,
      writable: true,
    });
  }
  return port;
}

/**
 * Preflight's reads as `authorizer` would make them. EC2 is passed already enforced (the EC2 fake's own
 * hook). STS GetCallerIdentity is not enforced: AWS answers it whatever the caller's policies say
 * ("No permissions are required to perform this operation", STS API reference).
 */
export function enforcedPreflight(ports: PreflightPorts, authorizer: Authorizer): PreflightPorts {
  return {
    ...ports,
    quotas: enforcedPort(ports.quotas, authorizer, SERVICE_QUOTA_RULES),
    lambda: enforcedPort(ports.lambda, authorizer, LAMBDA_ACCOUNT_RULES),
    secrets: enforcedPort(ports.secrets, authorizer, SECRET_RULES),
    eventBuses: enforcedPort(ports.eventBuses, authorizer, EVENT_BUS_RULES),
  };
}

/** One principal's views of the in-memory ports a test or the bench holds, one per kind of port. */
export interface PortViews {
  /** The registry and the health record (one fake serves both, as one table does). */
  registry<T extends ClusterRegistry | HealthRecordPort>(fake: T): T;
  quota<T extends QuotaCounter>(fake: T): T;
  lease<T extends LeaseStore>(fake: T): T;
  /** Guards the store itself (see `enforceInPlace`): give each function its own. */
  idempotency<T extends BasePersistenceLayer>(store: T): T;
  secrets<T extends SecretPort>(fake: T): T;
  dataPlane<T extends DataPlanePort>(fake: T, functionName?: string): T;
  /** Route 53 and Route 53 Resolver (testing/dns-path-fake.ts serves both). */
  dnsPath<T extends HostedZonesPort | ResolverPort>(fake: T): T;
}

export function portViews(authorizer: Authorizer): PortViews {
  const view =
    (rules: PortRules) =>
    <T extends object>(fake: T): T =>
      enforcedPort(fake, authorizer, rules);
  return {
    registry: view(REGISTRY_RULES),
    quota: view(QUOTA_COUNTER_RULES),
    lease: view(LEASE_RULES),
    idempotency: (store) => enforceInPlace(store, authorizer, IDEMPOTENCY_RULES),
    secrets: view(SECRET_RULES),
    dataPlane: (fake, functionName) => enforcedPort(fake, authorizer, dataPlaneRules(functionName)),
    dnsPath: view(DNS_PATH_RULES),
  };
}
