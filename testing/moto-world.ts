/**
 * Helpers for tests against the moto sandbox (see scripts/sandbox/moto.ts and test/sandbox/global-setup.ts):
 * SDK clients pointed at moto, a realistic EC2 world with a real endpoint service playing TiDB's side, and
 * `deliveredEvents`, which answers "does this EventBridge rule pattern match these emitted events?" for real.
 */
import { randomUUID } from 'node:crypto';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { EventBridgeAdapter } from '../functions/adapters/aws/eventbridge.ts';
import { DEFAULT_TIDB_PORT } from '../functions/core/model.ts';
import type { AppEvent } from '../functions/core/ports.ts';
import type { Authorizer } from './iam/enforce.ts';
import { motoProxy } from './iam/moto-proxy.ts';

export interface SandboxConfig {
  /** `http://127.0.0.1:<port>` of the moto server. */
  endpointUrl: string;
  region: string;
}

export interface SandboxClients {
  config: SandboxConfig;
  ec2: EC2Client;
  eventBridge: EventBridgeClient;
  sqs: SQSClient;
}

/** Dummy credentials: moto accepts any, and tests must never pick up real ones from the environment. */
const SANDBOX_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface SandboxClientOptions {
  /**
   * The function (or operator) whose clients these are: they reach moto through this worker's IAM proxy
   * (testing/iam/moto-proxy.ts) with that principal's keys, so each call is first decided against its role
   * and a denied one fails as AWS refuses it, before moto sees it. Without it, moto's allow-everything.
   */
  as?: Authorizer;
}

/**
 * The configuration of any SDK client on the sandbox: moto directly, or, `as` a principal, through this
 * worker's IAM proxy with that principal's keys. No retries: a sandbox failure should surface at once.
 *
 * @example const dynamodb = new DynamoDBClient(sandboxClientConfig(config, { as: reconcile }));
 */
export function sandboxClientConfig(config: SandboxConfig, options: SandboxClientOptions = {}) {
  const common = { region: config.region, maxAttempts: 1 };
  const { as } = options;
  if (!as) return { ...common, endpoint: config.endpointUrl, credentials: SANDBOX_CREDENTIALS };
  // The proxy starts on first use; the SDK accepts both as providers, so building clients stays synchronous.
  const proxy = motoProxy(config);
  const keys = proxy.then((started) => started.principal(as));
  return {
    ...common,
    endpoint: async () => ({ url: new URL((await proxy).url) }),
    credentials: () => keys,
  };
}

export function createSandboxClients(
  config: SandboxConfig,
  options: SandboxClientOptions = {},
): SandboxClients {
  const common = sandboxClientConfig(config, options);
  return {
    config,
    ec2: new EC2Client(common),
    eventBridge: new EventBridgeClient(common),
    sqs: new SQSClient(common),
  };
}

export function destroySandboxClients(clients: SandboxClients): void {
  clients.ec2.destroy();
  clients.eventBridge.destroy();
  clients.sqs.destroy();
}

/** Creates the event bus `name` unless moto (shared by every sandbox file) has it already. */
export async function ensureEventBus(clients: SandboxClients, name: string): Promise<void> {
  await clients.eventBridge.send(new CreateEventBusCommand({ Name: name })).catch((error: Error) => {
    if (error.name !== 'ResourceAlreadyExistsException') throw error;
  });
}

export interface MotoWorld {
  /** The customer VPC where endpoints are created. */
  vpcId: string;
  cidrBlock: string;
  /** Customer subnets by AZ ID: use1-az1, use1-az2 (both offered by the service) and use1-az4 (not offered). */
  subnetIdByZoneId: Record<string, string>;
  /** Admits TCP 4000 from the VPC CIDR. */
  securityGroupId: string;
  /** TiDB's side: an internal NLB in use1-az1 and use1-az2 behind a real endpoint service. */
  provider: { vpcId: string; loadBalancerArn: string; serviceId: string; serviceName: string };
}

/**
 * Builds, in moto, what a TiDB Cloud PrivateLink setup looks like from the customer's account: TiDB's NLB and
 * endpoint service (in the AZ IDs use1-az1 and use1-az2) and the customer VPC with subnets in three AZ IDs.
 * Every call creates fresh resources, so test files do not depend on each other.
 */
export async function buildMotoWorld(clients: SandboxClients): Promise<MotoWorld> {
  const { ec2 } = clients;
  const providerVpcId = await createVpc(ec2, '10.100.0.0/16');
  const providerSubnets = await Promise.all([
    createSubnet(ec2, providerVpcId, '10.100.0.0/20', 'use1-az1'),
    createSubnet(ec2, providerVpcId, '10.100.16.0/20', 'use1-az2'),
  ]);
  const loadBalancerArn = await createNetworkLoadBalancer(
    clients,
    `tidb-${randomUUID().slice(0, 8)}`,
    providerSubnets,
  );
  const service = await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [loadBalancerArn],
      AcceptanceRequired: true,
      // TiDB's services offer a private DNS name; without one, provisioning is Blocked before it creates.
      PrivateDnsName: `privatelink-${randomUUID().slice(0, 8)}.clusters.tidb-cloud.com`,
    }),
  );
  const serviceId = service.ServiceConfiguration?.ServiceId;
  const serviceName = service.ServiceConfiguration?.ServiceName;
  if (!serviceId || !serviceName) throw new Error('moto returned no endpoint service configuration');

  const cidrBlock = '10.0.0.0/16';
  const vpcId = await createVpc(ec2, cidrBlock);
  const zoneIds = ['use1-az1', 'use1-az2', 'use1-az4'];
  const subnetIds = await Promise.all(
    zoneIds.map((zoneId, index) => createSubnet(ec2, vpcId, `10.0.${index * 16}.0/20`, zoneId)),
  );
  const subnetIdByZoneId = Object.fromEntries(
    zoneIds.map((zoneId, index) => [zoneId, subnetIds[index] ?? '']),
  );
  const group = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: `tidb-endpoint-${randomUUID().slice(0, 8)}`,
      Description: 'TiDB Cloud PrivateLink endpoint',
      VpcId: vpcId,
    }),
  );
  const securityGroupId = required(group.GroupId, 'GroupId');
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: securityGroupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: DEFAULT_TIDB_PORT,
          ToPort: DEFAULT_TIDB_PORT,
          IpRanges: [{ CidrIp: cidrBlock }],
        },
      ],
    }),
  );
  return {
    vpcId,
    cidrBlock,
    subnetIdByZoneId,
    securityGroupId,
    provider: { vpcId: providerVpcId, loadBalancerArn, serviceId, serviceName },
  };
}

async function createVpc(ec2: EC2Client, cidrBlock: string): Promise<string> {
  const output = await ec2.send(new CreateVpcCommand({ CidrBlock: cidrBlock }));
  return required(output.Vpc?.VpcId, 'VpcId');
}

async function createSubnet(
  ec2: EC2Client,
  vpcId: string,
  cidrBlock: string,
  zoneId: string,
): Promise<string> {
  const output = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidrBlock, AvailabilityZoneId: zoneId }),
  );
  return required(output.Subnet?.SubnetId, 'SubnetId');
}

/**
 * elbv2 CreateLoadBalancer through its Query API. The project has no elbv2 SDK client (it never needs one
 * outside this test), and moto routes by the credential scope in the Authorization header, which it does not
 * verify, so a form POST is all it takes.
 */
export async function createNetworkLoadBalancer(
  clients: SandboxClients,
  name: string,
  subnetIds: string[],
): Promise<string> {
  const params = new URLSearchParams({
    Action: 'CreateLoadBalancer',
    Version: '2015-12-01',
    Name: name,
    Type: 'network',
    Scheme: 'internal',
  });
  subnetIds.forEach((subnetId, index) => {
    params.set(`Subnets.member.${index + 1}`, subnetId);
  });
  const { endpointUrl, region } = clients.config;
  const response = await fetch(`${endpointUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization:
        `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/elasticloadbalancing/aws4_request, ` +
        'SignedHeaders=host, Signature=0',
    },
    body: params.toString(),
  });
  const text = await response.text();
  const arn = /<LoadBalancerArn>([^<]+)<\/LoadBalancerArn>/.exec(text)?.[1];
  if (!response.ok || !arn)
    throw new Error(`elbv2 CreateLoadBalancer failed: HTTP ${response.status} ${text}`);
  return arn;
}

/** The EventBridge envelope a rule target receives. */
export interface DeliveredEvent {
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface DeliveredEventsOptions {
  /** The events' source (default `tidb-privatelink`), as `EventBridgeAdapter` would be configured. */
  source?: string;
  /**
   * The function that publishes them, given the fresh bus's name: its PutEvents then goes through the IAM
   * proxy under that function's role (packaged with that bus). Without it, the events are published around
   * IAM (another publisher's, or a test's own).
   */
  publisher?: (busName: string) => Promise<Authorizer>;
}

/**
 * Publishes `events` through `EventBridgeAdapter` onto a fresh bus that has one rule with `pattern` and an SQS
 * queue as its target, and returns what reached the queue. Use it to prove a `serverless.yml` rule pattern
 * matches exactly the events the code emits. Everything it creates is deleted again.
 *
 * moto 5.1.1's matcher is partial: string values, `prefix`, `numeric` and `exists` are honoured, but a list
 * of booleans or numbers (`{ "healthy": [false] }`) matches any value, and other operators (`anything-but`,
 * `suffix`, `wildcard`, `$or`, …) match everything (moto only warns). Such patterns pass here vacuously:
 * check them with a unit test of the pattern too.
 *
 * @example
 * const got = await deliveredEvents(clients, { source: ['tidb-privatelink'] }, [event]);
 * expect(got.map((e) => e['detail-type'])).toEqual([event.detailType]);
 */
export async function deliveredEvents(
  clients: SandboxClients,
  pattern: Record<string, unknown> | string,
  events: AppEvent[],
  options: DeliveredEventsOptions = {},
): Promise<DeliveredEvent[]> {
  const { eventBridge, sqs } = clients;
  const suffix = randomUUID().slice(0, 8);
  const busName = `tidb-privatelink-test-${suffix}`;
  const ruleName = `rule-${suffix}`;
  const bus = await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `events-${suffix}` }));
  const queueUrl = required(queue.QueueUrl, 'QueueUrl');
  try {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await eventBridge.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: busName,
        EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
        State: 'ENABLED',
      }),
    );
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: ruleName,
        EventBusName: busName,
        Targets: [{ Id: 'queue', Arn: required(attributes.Attributes?.QueueArn, 'QueueArn') }],
      }),
    );
    await publish(clients, options, busName, required(bus.EventBusArn, 'EventBusArn'), events);
    return await drainQueue(sqs, queueUrl);
  } finally {
    await eventBridge
      .send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: ['queue'] }))
      .catch(() => undefined);
    await eventBridge
      .send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName }))
      .catch(() => undefined);
    await eventBridge.send(new DeleteEventBusCommand({ Name: busName }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  }
}

/** Publishes `events` onto the bus as the EventBridge adapter does: as `options.publisher`, when given. */
async function publish(
  clients: SandboxClients,
  options: DeliveredEventsOptions,
  busName: string,
  busArn: string,
  events: AppEvent[],
): Promise<void> {
  const publishing = options.publisher
    ? createSandboxClients(clients.config, { as: await options.publisher(busName) })
    : undefined;
  try {
    await new EventBridgeAdapter({
      client: (publishing ?? clients).eventBridge,
      eventBusName: busArn,
      source: options.source ?? 'tidb-privatelink',
    }).publish(events);
  } finally {
    if (publishing) destroySandboxClients(publishing);
  }
}

/**
 * moto delivers to targets inside PutEvents, so the queue is complete once PutEvents returns: read until a
 * receive comes back empty.
 */
async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<DeliveredEvent[]> {
  const delivered: DeliveredEvent[] = [];
  for (;;) {
    const page = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = page.Messages ?? [];
    if (messages.length === 0) return delivered;
    for (const message of messages) delivered.push(JSON.parse(message.Body ?? '{}') as DeliveredEvent);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: required(message.ReceiptHandle, 'ReceiptHandle'),
        })),
      }),
    );
  }
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`moto returned no ${what}`);
  return value;
}
