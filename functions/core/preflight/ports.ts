/**
 * What `preflight` reads, behind ports: the deployer's identity (STS), EC2, Service Quotas, Secrets Manager,
 * EventBridge and TiDB Cloud. Adapters live in functions/adapters; unit tests pass in-memory fakes.
 */
import type { CheckResultOf } from '../diagnose/report.ts';
import type { CallOptions, Ec2Port, TidbCloudPort } from '../ports.ts';

export const PREFLIGHT_CHECK_IDS = [
  'aws.credentials',
  'aws.region',
  'aws.vpc',
  'aws.vpc-dns-attributes',
  'aws.subnets',
  'aws.endpoint-quota',
  'aws.lambda-concurrency',
  'tidb.api-key-secret',
  'tidb.api-key',
  'aws.event-bus',
] as const;

export type PreflightCheckId = (typeof PREFLIGHT_CHECK_IDS)[number];
export type PreflightCheckResult = CheckResultOf<PreflightCheckId>;

export interface KeyPair {
  publicKey: string;
  privateKey: string;
}

export interface IdentityPort {
  /** STS GetCallerIdentity: who the credentials belong to. */
  callerIdentity(options?: CallOptions): Promise<{ account: string; arn: string }>;
}

export interface QuotaPort {
  /** Service Quotas `vpc` / `L-29B6F2EB` "Interface VPC endpoints per VPC", as applied to this account. */
  interfaceEndpointsPerVpc(options?: CallOptions): Promise<number>;
}

/** Lambda's concurrency in this account and region (Lambda `GetAccountSettings`, `AccountLimit`). */
export interface LambdaConcurrency {
  /** `ConcurrentExecutions`: the account's quota (Service Quotas `lambda` / `L-B99A9384`). */
  limit: number;
  /** `UnreservedConcurrentExecutions`: what functions without a reservation share. */
  unreserved: number;
}

export interface LambdaAccountPort {
  concurrency(options?: CallOptions): Promise<LambdaConcurrency>;
}

export interface SecretPort {
  /** The secret's string value; an unknown secret throws AwsError `ResourceNotFoundException`. */
  secretString(arn: string, options?: CallOptions): Promise<string>;
}

export interface EventBusPort {
  exists(name: string, options?: CallOptions): Promise<boolean>;
}

export interface PreflightPorts {
  identity: IdentityPort;
  ec2: Pick<
    Ec2Port,
    | 'describeAvailabilityZones'
    | 'describeVpc'
    | 'describeVpcDnsAttributes'
    | 'describeSubnets'
    | 'findEndpoints'
  >;
  quotas: QuotaPort;
  lambda: LambdaAccountPort;
  secrets: SecretPort;
  /** A TiDB Cloud client for a key pair (the pair comes out of the secret). */
  tidb(keys: KeyPair): Pick<TidbCloudPort, 'listClusters'>;
  eventBuses: EventBusPort;
}

export interface PreflightSettings {
  region: string;
  vpcId: string;
  subnetIds: string[];
  /** The secret the stack reads; without it, the key pair from the environment (local use). */
  apiKeySecretArn?: string;
  envKeys?: KeyPair;
  projectId?: string;
  eventBus: string;
}

export interface PreflightReport {
  region: string;
  vpcId: string;
  /** True exactly when no check failed (warnings allowed). */
  ready: boolean;
  checks: PreflightCheckResult[];
  startedAt: string;
  durationMs: number;
}
