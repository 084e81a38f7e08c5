/**
 * `ProvisioningEc2Port` on the AWS SDK v3, for callers that need every EC2 call: the endpoint side
 * (`ec2-endpoints.ts`) and the network reads (`ec2-network.ts`) over one client. EC2's wire shapes are read
 * in `ec2-mapping.ts` only; everything thrown is an `AwsError` with AWS's code and message (`ec2-calls.ts`).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { NetworkReadsPort, ProvisioningEc2Port } from '../../core/ports.ts';
import { Ec2Endpoints } from './ec2-endpoints.ts';
import { Ec2NetworkReads } from './ec2-network.ts';

/**
 * @example const ec2 = new Ec2Adapter(createAwsClients({ region }).ec2);
 */
export class Ec2Adapter extends Ec2Endpoints implements ProvisioningEc2Port {
  readonly #network: Ec2NetworkReads;

  constructor(client: EC2Client) {
    super(client);
    this.#network = new Ec2NetworkReads(client);
  }

  describeSubnets: NetworkReadsPort['describeSubnets'] = (...args) => this.#network.describeSubnets(...args);
  describeAvailabilityZones: NetworkReadsPort['describeAvailabilityZones'] = (...args) =>
    this.#network.describeAvailabilityZones(...args);
  describeVpc: NetworkReadsPort['describeVpc'] = (...args) => this.#network.describeVpc(...args);
  describeVpcDnsAttributes: NetworkReadsPort['describeVpcDnsAttributes'] = (...args) =>
    this.#network.describeVpcDnsAttributes(...args);
  describeSecurityGroupRules: NetworkReadsPort['describeSecurityGroupRules'] = (...args) =>
    this.#network.describeSecurityGroupRules(...args);
  describePrefixLists: NetworkReadsPort['describePrefixLists'] = (...args) =>
    this.#network.describePrefixLists(...args);
  describeNetworkAcls: NetworkReadsPort['describeNetworkAcls'] = (...args) =>
    this.#network.describeNetworkAcls(...args);
  describeNetworkInterfaces: NetworkReadsPort['describeNetworkInterfaces'] = (...args) =>
    this.#network.describeNetworkInterfaces(...args);
  describeDhcpOptions: NetworkReadsPort['describeDhcpOptions'] = (...args) =>
    this.#network.describeDhcpOptions(...args);
  describeRouteTables: NetworkReadsPort['describeRouteTables'] = (...args) =>
    this.#network.describeRouteTables(...args);
}
