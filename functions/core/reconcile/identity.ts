/**
 * Endpoint identity (docs/contracts.md "Endpoint identity"): the EC2 ClientToken of a create, and the digest of the
 * configured subnets an endpoint remembers in a tag, so a changed subnet list is noticed without a read.
 */
import { createHash } from 'node:crypto';
import { SUBNET_CONFIG_TAG, type VpcEndpoint } from '../model.ts';
import type { CreateEndpointInput } from '../ports.ts';

const digest = (text: string, length: number) =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

/**
 * The request's parameters and a generation. AWS keeps a token bound to the endpoint it first created, even
 * once deleted, so the generation after a deleted endpoint is that endpoint's id (or, when EC2 does not name
 * it, `retiredGeneration` of the dead token): every concurrent run derives the same chain and still makes
 * exactly one endpoint.
 */
export function clientTokenFor(input: Omit<CreateEndpointInput, 'clientToken'>, generation: string): string {
  const sorted = (items: string[]) => [...items].sort();
  const request = JSON.stringify([
    input.vpcId,
    input.serviceName,
    sorted(input.subnetIds),
    sorted(input.securityGroupIds),
    Object.entries(input.tags).sort(([a], [b]) => a.localeCompare(b)),
    generation,
  ]);
  return digest(`tidb-privatelink/${request}`, 64);
}

/**
 * The generation after a token EC2 refuses without naming its endpoint (AWS may answer the token of a
 * deleted endpoint so): a fixed derivation of the dead token, the same in every run.
 */
export function retiredGeneration(clientToken: string): string {
  return `retired:${digest(`${clientToken}/retired`, 32)}`;
}

/** A short, stable digest of the configured subnet list (order and duplicates do not matter). */
export function subnetConfigOf(subnetIds: string[]): string {
  return digest([...new Set(subnetIds)].sort().join(','), 16);
}

/**
 * Has the configured subnet list changed since the endpoint was last made to match it? An endpoint made
 * before the tag existed is compared by its subnets: equal lists need nothing, anything else is checked once.
 */
export function subnetConfigChanged(endpoint: VpcEndpoint, configured: string[]): boolean {
  const remembered = endpoint.tags[SUBNET_CONFIG_TAG];
  if (remembered !== undefined) return remembered !== subnetConfigOf(configured);
  return subnetConfigOf(endpoint.subnetIds) !== subnetConfigOf(configured);
}
