/** The preflight checks in report order; prerequisites come before the checks that need them. */
import { awsCredentials } from './aws-credentials.ts';
import { awsEndpointQuota } from './aws-endpoint-quota.ts';
import { awsEventBus } from './aws-event-bus.ts';
import { awsLambdaConcurrency } from './aws-lambda-concurrency.ts';
import { awsRegion } from './aws-region.ts';
import { awsSubnets } from './aws-subnets.ts';
import { awsVpc } from './aws-vpc.ts';
import { awsVpcDnsAttributes } from './aws-vpc-dns-attributes.ts';
import { tidbApiKey } from './tidb-api-key.ts';
import { tidbApiKeySecret } from './tidb-api-key-secret.ts';
import type { PreflightCheck } from './types.ts';

export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = [
  awsCredentials,
  awsRegion,
  awsVpc,
  awsVpcDnsAttributes,
  awsSubnets,
  awsEndpointQuota,
  awsLambdaConcurrency,
  tidbApiKeySecret,
  tidbApiKey,
  awsEventBus,
];
