/**
 * In-memory parts for `preflight`: the deployer's identity, Service Quotas, Secrets Manager and EventBridge
 * buses. EC2 is the EC2 fake (or moto) and TiDB Cloud the simulator, so only what they lack is faked here.
 */
import { TidbCloudClient } from '../functions/adapters/tidbcloud/client.ts';
import { AwsError } from '../functions/core/errors.ts';
import type { KeyPair, LambdaConcurrency, PreflightPorts } from '../functions/core/preflight/ports.ts';

export interface PreflightFakeOptions {
  ec2: PreflightPorts['ec2'];
  tidbUrl: string;
  /** Secret ARN → its string value; any other ARN is ResourceNotFoundException. */
  secrets?: Record<string, string>;
  /**
   * The applied quota, an error as Service Quotas would throw it (e.g. AccessDeniedException), or `hang`:
   * never answering, its signal ignored.
   */
  quota?: number | AwsError | 'hang';
  buses?: string[];
  /** Lambda's account concurrency (moto has no GetAccountSettings), or an error as Lambda would throw it. */
  lambdaConcurrency?: LambdaConcurrency | AwsError;
  /** Set to make STS reject the credentials. */
  credentialsError?: AwsError;
}

export function fakePreflightPorts(options: PreflightFakeOptions): PreflightPorts {
  const { secrets = {}, quota = 50, buses = ['default'] } = options;
  // A new account's figures: 10 in all, none reserved.
  const lambdaConcurrency = options.lambdaConcurrency ?? { limit: 10, unreserved: 10 };
  return {
    identity: {
      async callerIdentity() {
        if (options.credentialsError) throw options.credentialsError;
        return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/deployer' };
      },
    },
    ec2: options.ec2,
    quotas: {
      async interfaceEndpointsPerVpc() {
        if (quota === 'hang') return new Promise<never>(() => {});
        if (quota instanceof AwsError) throw quota;
        return quota;
      },
    },
    lambda: {
      async concurrency() {
        if (lambdaConcurrency instanceof AwsError) throw lambdaConcurrency;
        return lambdaConcurrency;
      },
    },
    secrets: {
      async secretString(arn: string) {
        const value = secrets[arn];
        if (value === undefined) {
          throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        }
        return value;
      },
    },
    tidb: (keys: KeyPair) => new TidbCloudClient({ baseUrl: options.tidbUrl, ...keys }),
    eventBuses: { exists: async (name: string) => buses.includes(name) },
  };
}
