/**
 * Building a VPC's DNS path in moto: private hosted zones (Route 53, through the SDK) and Route 53 Resolver
 * rules, associations and endpoints (through Resolver's JSON API: the project has no SDK client for it, and
 * moto routes by the `X-Amz-Target` header and the credential scope, which it does not verify).
 */
import { randomUUID } from 'node:crypto';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { type SandboxClientOptions, type SandboxConfig, sandboxClientConfig } from './moto-world.ts';

export function createSandboxRoute53(
  config: SandboxConfig,
  options: SandboxClientOptions = {},
): Route53Client {
  return new Route53Client(sandboxClientConfig(config, options));
}

/** A private zone associated with the VPC. moto answers HTTP 500 to CreateHostedZone without a Comment. */
export async function createPrivateZone(
  route53: Route53Client,
  input: { name: string; vpcId: string; region: string },
): Promise<string> {
  const output = await route53.send(
    new CreateHostedZoneCommand({
      Name: input.name,
      CallerReference: randomUUID(),
      HostedZoneConfig: { Comment: 'created by a tidb-privatelink test', PrivateZone: true },
      VPC: { VPCId: input.vpcId, VPCRegion: input.region as 'us-east-1' },
    }),
  );
  const id = output.HostedZone?.Id;
  if (!id) throw new Error('moto returned no hosted zone id');
  return id.replace(/^\/hostedzone\//, '');
}

/** One Route 53 Resolver JSON call against moto; throws with moto's answer on an HTTP error. */
export async function resolverCall(
  config: SandboxConfig,
  operation: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${config.endpointUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `Route53Resolver.${operation}`,
      authorization:
        `AWS4-HMAC-SHA256 Credential=testing/20260101/${config.region}/route53resolver/aws4_request, ` +
        'SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Route53Resolver.${operation} failed: HTTP ${response.status} ${text}`);
  return JSON.parse(text || '{}') as Record<string, unknown>;
}

/** A Resolver rule associated with the VPC; returns the rule id and the association id. */
export async function associateResolverRule(
  config: SandboxConfig,
  input: { vpcId: string; domainName: string; ruleType: 'FORWARD' | 'SYSTEM'; targetIp?: string },
): Promise<{ ruleId: string; associationId: string }> {
  const created = await resolverCall(config, 'CreateResolverRule', {
    CreatorRequestId: randomUUID(),
    Name: `rule-${randomUUID().slice(0, 8)}`,
    RuleType: input.ruleType,
    DomainName: input.domainName,
    ...(input.targetIp ? { TargetIps: [{ Ip: input.targetIp, Port: 53 }] } : {}),
  });
  const ruleId = String((created.ResolverRule as Record<string, unknown>).Id);
  const associated = await resolverCall(config, 'AssociateResolverRule', {
    ResolverRuleId: ruleId,
    VPCId: input.vpcId,
    Name: `assoc-${randomUUID().slice(0, 8)}`,
  });
  const associationId = String((associated.ResolverRuleAssociation as Record<string, unknown>).Id);
  return { ruleId, associationId };
}
