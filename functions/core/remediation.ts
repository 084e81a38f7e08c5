/**
 * Every user-facing fix the app prints — the doctor's checks and the provisioning autopilot's Blocked
 * outcomes — in one place so the wording can be reviewed together. Each function returns the exact AWS CLI
 * command where one exists, else a one-paragraph instruction.
 *
 * Longer than the ~400 lines other files keep to, on purpose: the point of this file is that every fix's
 * wording sits together for review (one section per side: TiDB Cloud, AWS network, DNS, provisioning), and
 * each entry is a small pure function; splitting it would scatter exactly what reviewers read side by side.
 */

import type { FirewallRule, PrivateHostedZone, ResolverRule } from './model.ts';
import { parseCidr } from './network/cidr.ts';
import { EPHEMERAL_PORTS, formatPorts, type PortRange } from './network/packet-filter.ts';

const API_URL = 'https://dedicated.tidbapi.com/v1beta1';
const PROVISION = (clusterId: string, nodeGroupId: string) =>
  `npx tidb-privatelink provision --cluster ${clusterId} --node-group ${nodeGroupId} --wait`;

function isIpv6(cidr: string): boolean {
  return parseCidr(cidr)?.family === 6;
}

// ── TiDB Cloud side ──────────────────────────────────────────────────────────

export function clusterNotActive(clusterId: string, state: string): string {
  if (state === 'PAUSED' || state === 'PAUSING') {
    return `Resume the cluster: curl --digest -u "$TIDB_CLOUD_PUBLIC_KEY:$TIDB_CLOUD_PRIVATE_KEY" -X POST ${API_URL}/clusters/${clusterId}:resumeCluster -H 'Content-Type: application/json' -d '{}'`;
  }
  if (state === 'DELETING' || state === 'DELETED') {
    return `Cluster ${clusterId} is ${state}: point the doctor at a live cluster (check --cluster).`;
  }
  return `Wait until cluster ${clusterId} is ACTIVE in the TiDB Cloud console (it is ${state}), then run the doctor again.`;
}

export function serviceNotReady(clusterId: string, nodeGroupId: string): string {
  return `TiDB Cloud creates the private link service 3-5 minutes after the cluster becomes ACTIVE: wait, then run the doctor again. If it stays missing, contact PingCAP support with cluster ${clusterId} and node group ${nodeGroupId}.`;
}

export function noNodeGroup(clusterId: string): string {
  return `Cluster ${clusterId} reports no TiDB node group: pass --node-group <id> with a group from the TiDB Cloud console.`;
}

export function registerEndpoint(clusterId: string, nodeGroupId: string, vpceId: string): string {
  return `Register the endpoint with TiDB Cloud: ${PROVISION(clusterId, nodeGroupId)} (or: curl --digest -u "$TIDB_CLOUD_PUBLIC_KEY:$TIDB_CLOUD_PRIVATE_KEY" -X POST ${API_URL}/clusters/${clusterId}/tidbNodeGroups/${nodeGroupId}/privateEndpointConnections -H 'Content-Type: application/json' -d '{"endpointId":"${vpceId}"}')`;
}

export function reRegisterFailedConnection(
  ids: { clusterId: string; nodeGroupId: string; connectionId: string; vpceId: string },
  message: string,
): string {
  const detail = message ? `TiDB Cloud says: "${message}". ` : '';
  return `${detail}Delete the failed connection, fix the cause, and register again: curl --digest -u "$TIDB_CLOUD_PUBLIC_KEY:$TIDB_CLOUD_PRIVATE_KEY" -X DELETE ${API_URL}/clusters/${ids.clusterId}/tidbNodeGroups/${ids.nodeGroupId}/privateEndpointConnections/${ids.connectionId} && ${PROVISION(ids.clusterId, ids.nodeGroupId)}`;
}

export function connectionDeleting(clusterId: string, nodeGroupId: string): string {
  return `The connection is being deleted in TiDB Cloud: wait for it to disappear, then ${PROVISION(clusterId, nodeGroupId)}`;
}

// ── Region ───────────────────────────────────────────────────────────────────

export function crossRegion(clusterRegionId: string, awsRegion: string): string {
  return `PrivateLink is same-region only: run this app in ${clusterRegionId.replace(/^aws-/, '')} (AWS_REGION and a VPC there), or reach the cluster from ${awsRegion} over VPC peering (TiDB Cloud console → Networking → VPC Peering) instead of PrivateLink.`;
}

export function notAwsCluster(cloudProvider: string): string {
  return `The cluster runs on ${cloudProvider}: AWS PrivateLink reaches only AWS clusters; use that cloud's private connectivity or VPC peering.`;
}

export function noVpc(): string {
  return 'Set PRIVATELINK_VPC_ID (or pass --vpc-endpoint <vpce-id>) so the doctor knows which VPC to inspect.';
}

export function serviceDeleting(clusterId: string): string {
  return `The private link service of cluster ${clusterId} is being deleted (the cluster or its node group is going away): nothing to provision.`;
}

// ── VPC and endpoint ─────────────────────────────────────────────────────────

export function enableVpcDns(vpcId: string, missing: { support: boolean; hostnames: boolean }): string {
  // ModifyVpcAttribute takes one attribute per call.
  const commands = [
    missing.support && `aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-support '{"Value":true}'`,
    missing.hostnames &&
      `aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-hostnames '{"Value":true}'`,
  ].filter((command): command is string => typeof command === 'string');
  return commands.join(' && ');
}

export function createEndpoint(input: {
  clusterId: string;
  nodeGroupId: string;
  vpcId: string;
  serviceName: string;
}): string {
  return `${PROVISION(input.clusterId, input.nodeGroupId)} (or by hand: aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id ${input.vpcId} --service-name ${input.serviceName} --subnet-ids <subnets in the service's AZs> --security-group-ids <sg> --no-private-dns-enabled, then register it with TiDB Cloud)`;
}

export function replaceEndpoint(
  vpceId: string,
  state: string,
  clusterId: string,
  nodeGroupId: string,
): string {
  return `Endpoint ${vpceId} is ${state} and cannot recover: aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${vpceId} && ${PROVISION(clusterId, nodeGroupId)}`;
}

export function wrongService(vpceId: string, serviceName: string): string {
  return `Endpoint ${vpceId} connects to another service: pass the endpoint of ${serviceName} with --vpc-endpoint, or omit --vpc-endpoint to let the doctor find it.`;
}

export function enablePrivateDns(vpceId: string, vpcDnsOff: string | undefined): string {
  const command = `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${vpceId} --private-dns-enabled`;
  return vpcDnsOff ? `${vpcDnsOff} && ${command}` : command;
}

export function moveToSupportedZones(vpceId: string, badSubnetIds: string[], supported: string[]): string {
  return `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${vpceId} --remove-subnet-ids ${badSubnetIds.join(' ')} --add-subnet-ids <a subnet in one of: ${supported.join(', ')}>`;
}

export function coverMissingZones(vpceId: string, zones: string[]): string {
  return `For resilience, add a subnet in each uncovered AZ (${zones.join(', ')}): aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${vpceId} --add-subnet-ids <subnet-id>`;
}

export function addSupportedSubnet(vpcId: string, zoneIds: string[]): string {
  return `Create a subnet in ${vpcId} in one of the AZ IDs the service supports (${zoneIds.join(', ')}) and add it to PRIVATELINK_SUBNET_IDS: aws ec2 create-subnet --vpc-id ${vpcId} --availability-zone-id ${zoneIds[0] ?? '<az-id>'} --cidr-block <free-cidr>`;
}

export function adoptOrDeleteForeignEndpoint(vpceId: string, clusterId: string, nodeGroupId: string): string {
  return `An endpoint to this service that tidb-privatelink did not create already exists (${vpceId}). Adopt it: aws ec2 create-tags --resources ${vpceId} --tags Key=tidb-privatelink:managed-by,Value=tidb-privatelink Key=tidb-privatelink:cluster-id,Value=${clusterId} Key=tidb-privatelink:node-group-id,Value=${nodeGroupId} — or delete it: aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${vpceId}`;
}

/** EC2's and IAM's codes for "the caller's policy does not allow this" (not a subnet, group or quota). */
const PERMISSION_CODES = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

export function endpointCreateFailed(
  awsMessage: string,
  clusterId: string,
  nodeGroupId: string,
  awsCode?: string,
): string {
  const cause =
    awsCode !== undefined && PERMISSION_CODES.has(awsCode)
      ? "Grant the permission: the stack's roles allow ec2:CreateVpcEndpoint only in the configured VPCs, with the tidb-privatelink:managed-by tag and a com.amazonaws.vpce.<region>.vpce-svc-* service (redeploy after changing PRIVATELINK_VPC_ID or PRIVATELINK_VPCS); a person running the CLI needs the stack's OperatorProvisionPolicy"
      : 'Fix the cause (subnets, security groups, the quota of 50 interface endpoints per VPC)';
  return `AWS refused to create the endpoint: ${awsMessage} ${cause}, then: ${PROVISION(clusterId, nodeGroupId)}`;
}

export function apiRefused(clusterId: string, nodeGroupId: string | undefined): string {
  const retry = nodeGroupId
    ? PROVISION(clusterId, nodeGroupId)
    : `npx tidb-privatelink provision --cluster ${clusterId} --wait`;
  return `The API refused the request with the reason above (a permission or a parameter): fix that, then: ${retry}`;
}

/**
 * A spoke's role the hub could not assume. The external id's value is never printed (it is the spoke
 * owner's shared secret); only whether one is configured.
 */
export function spokeAccessDenied(input: {
  roleArn: string;
  sessionName: string;
  withExternalId: boolean;
}): string {
  const account = input.roleArn.split(':')[4] ?? 'the spoke account';
  const externalId = input.withExternalId ? ' --external-id "<the entry\'s externalId>"' : '';
  const condition = input.withExternalId
    ? ', with the condition sts:ExternalId equal to the entry\'s "externalId" in PRIVATELINK_VPCS'
    : '';
  return `Check that the role ${input.roleArn} exists in account ${account} (redeploy the spoke template there if it was deleted), that its trust policy lets the hub's function role call sts:AssumeRole${condition}, and that the hub role's policy allows sts:AssumeRole on it (redeploy the hub with this entry in PRIVATELINK_VPCS); test with the hub's credentials: aws sts assume-role --role-arn ${input.roleArn} --role-session-name ${input.sessionName}${externalId}`;
}

export function pendingTooLong(input: {
  clusterId: string;
  nodeGroupId: string;
  connectionId: string;
  vpceId: string;
  minutes: number;
}): string {
  return `TiDB Cloud has not accepted endpoint ${input.vpceId} after ${input.minutes} minutes (it takes about 5). Check the endpoint in the TiDB Cloud console (cluster ${input.clusterId}, Networking > Private Endpoint); if it stays Pending, contact TiDB Cloud support with cluster ${input.clusterId}, node group ${input.nodeGroupId} and connection ${input.connectionId}.`;
}

export function privateDnsUnavailable(serviceName: string, clusterId: string, state: string): string {
  return `EC2 shows no verified private DNS name for ${serviceName} (${state}), so private DNS cannot be enabled on an endpoint to it: contact TiDB Cloud support with cluster ${clusterId} and the service name, then provision again. Nothing was created.`;
}

export function orphanStepRefused(vpceId: string): string {
  return `The API refused a step on orphaned endpoint ${vpceId} with the reason above (a permission or a parameter: the reconcile role may delete and mark only this stack's managed endpoints): fix that; the next reconcile retries, or run: npx tidb-privatelink reconcile`;
}

export function orphanedEndpoint(vpceId: string, deletesAt?: string): string {
  const command = `aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${vpceId}`;
  if (deletesAt) {
    return `Nothing uses ${vpceId} any more: the stack deletes it at ${deletesAt} (PRIVATELINK_DELETE_ORPHANS_AFTER_H) unless its cluster comes back; to delete it now: ${command}`;
  }
  return `Nothing uses ${vpceId} any more; it still costs money. If no one needs it: ${command} (or set PRIVATELINK_DELETE_ORPHANS_AFTER_H to have the stack delete orphans after a grace period)`;
}

export function privateDnsConflict(vpceId: string, vpcId: string, region: string, host: string): string {
  return `${dnsForeignPrivateAnswer(host, vpcId, region)} Then: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${vpceId} --private-dns-enabled`;
}

// ── Security groups and network ACLs ─────────────────────────────────────────

export function authorizeIngressFromCidr(groupId: string, port: number, cidr: string): string {
  if (isIpv6(cidr)) {
    return `aws ec2 authorize-security-group-ingress --group-id ${groupId} --ip-permissions 'IpProtocol=tcp,FromPort=${port},ToPort=${port},Ipv6Ranges=[{CidrIpv6=${cidr}}]'`;
  }
  return `aws ec2 authorize-security-group-ingress --group-id ${groupId} --protocol tcp --port ${port} --cidr ${cidr}`;
}

export function authorizeIngressFromGroup(groupId: string, port: number, sourceGroupId: string): string {
  return `aws ec2 authorize-security-group-ingress --group-id ${groupId} --protocol tcp --port ${port} --source-group ${sourceGroupId}`;
}

export function attachSecurityGroup(vpceId: string): string {
  return `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${vpceId} --add-security-group-ids <sg-id admitting the TiDB port>`;
}

export function allowNaclEntry(input: {
  networkAclId: string;
  egress: boolean;
  ruleNumber: number;
  ports: PortRange;
  cidr: string;
}): string {
  const direction = input.egress ? '--egress' : '--ingress';
  const block = isIpv6(input.cidr) ? `--ipv6-cidr-block ${input.cidr}` : `--cidr-block ${input.cidr}`;
  return `aws ec2 create-network-acl-entry --network-acl-id ${input.networkAclId} ${direction} --rule-number ${input.ruleNumber} --protocol tcp --port-range From=${input.ports.from},To=${input.ports.to} ${block} --rule-action allow`;
}

export function removeBlockingNaclEntry(networkAclId: string, egress: boolean, ruleNumber: number): string {
  return `Rule ${ruleNumber} denies the traffic and no lower rule number is free: aws ec2 delete-network-acl-entry --network-acl-id ${networkAclId} ${egress ? '--egress' : '--ingress'} --rule-number ${ruleNumber} (then re-add it with a higher number if it is still needed)`;
}

// ── Routes back to clients outside the VPC ───────────────────────────────────

/** The create-route / replace-route option naming a return hop. */
function routeTargetOption(target: string | undefined): string {
  if (target?.startsWith('pcx-')) return `--vpc-peering-connection-id ${target}`;
  if (target?.startsWith('tgw-')) return `--transit-gateway-id ${target}`;
  if (target?.startsWith('vgw-')) return `--gateway-id ${target}`;
  if (target?.startsWith('arn:')) return `--core-network-arn ${target}`;
  return '<--vpc-peering-connection-id pcx-… | --transit-gateway-id tgw-… | --gateway-id vgw-…>';
}

/**
 * A route for `cidr` back through `target` (a hop another table of the VPC already uses for the source, when
 * there is one). `replace` when the table has a route for exactly that destination going the wrong way.
 */
export function addReturnRoute(input: {
  routeTableId: string;
  cidr: string;
  target: string | undefined;
  replace: boolean;
}): string {
  const verb = input.replace ? 'replace-route' : 'create-route';
  const destination = isIpv6(input.cidr)
    ? `--destination-ipv6-cidr-block ${input.cidr}`
    : `--destination-cidr-block ${input.cidr}`;
  return `aws ec2 ${verb} --route-table-id ${input.routeTableId} ${destination} ${routeTargetOption(input.target)}`;
}

export function associateRouteTable(subnetId: string): string {
  return `Subnet ${subnetId} has no route table and the VPC has no main one: aws ec2 associate-route-table --subnet-id ${subnetId} --route-table-id <rtb-id with a route back to the clients>`;
}

export function returnViaAppliance(targets: string[]): string {
  return `Replies pass through ${targets.join(', ')} (a firewall or router appliance): make sure it forwards them back to the clients and allows TCP from the TiDB port to their ephemeral ports.`;
}

export function createInboundResolver(vpcId: string, subnetIds: string[], host: string): string {
  const addresses = subnetIds.map((subnetId) => `SubnetId=${subnetId}`).join(' ');
  return `On-premises clients cannot ask the VPC resolver for ${host}: create a Route 53 Resolver inbound endpoint in ${vpcId}: aws route53resolver create-resolver-endpoint --direction INBOUND --name tidb-privatelink-inbound --creator-request-id ${REQUEST_ID} --security-group-ids <sg admitting UDP and TCP 53 from on-premises> --ip-addresses ${addresses || 'SubnetId=<subnet-a> SubnetId=<subnet-b>'}, then make your on-premises DNS forward ${zoneOf(host)} to its addresses (aws route53resolver list-resolver-endpoint-ip-addresses --resolver-endpoint-id <the new rslvr-in-id>).`;
}

// ── DNS, TCP and the handshake ───────────────────────────────────────────────

/** The zone a forwarding rule must cover: the host's parent domain. */
function zoneOf(host: string): string {
  return host.split('.').slice(1).join('.') || host;
}

function forwardZone(host: string): string {
  return `make your resolver forward ${zoneOf(host)} to the VPC resolver (169.254.169.253, or the VPC CIDR base + 2), e.g. with a Route 53 Resolver forwarding rule or a conditional forwarder`;
}

export function dnsNoAnswer(input: {
  host: string;
  vpceId: string | undefined;
  privateDnsEnabled: boolean | undefined;
  customResolver: boolean;
}): string {
  if (input.vpceId && input.privateDnsEnabled === false) {
    return `Private DNS is off: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${input.vpceId} --private-dns-enabled`;
  }
  if (input.customResolver) return `The resolver does not know ${input.host}: ${forwardZone(input.host)}.`;
  if (!input.vpceId) return `No endpoint serves ${input.host}: create one (see aws.endpoint-state).`;
  return `Query from inside the VPC (the name exists only in the endpoint's private hosted zone), or ${forwardZone(input.host)}.`;
}

export function dnsPublicAnswer(input: {
  host: string;
  vpceId: string | undefined;
  customResolver: boolean;
}): string {
  const enable = input.vpceId
    ? `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${input.vpceId} --private-dns-enabled`
    : 'create the endpoint with private DNS (see aws.endpoint-state)';
  const forward = input.customResolver ? `; then ${forwardZone(input.host)}` : '';
  return `The public record answers, so clients would leave the VPC: ${enable}${forward}.`;
}

export function dnsForeignPrivateAnswer(host: string, vpcId: string | undefined, region: string): string {
  const vpc = vpcId ?? '<vpc-id>';
  return `Another endpoint or private hosted zone claims ${host}: find it with aws ec2 describe-vpc-endpoints --filters Name=vpc-id,Values=${vpc} and aws route53 list-hosted-zones-by-vpc --vpc-id ${vpc} --vpc-region ${region}, then remove it or disable its private DNS.`;
}

export function dnsResolverFailed(server: string, host: string): string {
  return `The resolver ${server} did not answer for ${host}: check that it is reachable from here (UDP/TCP 53 in security groups and network ACLs) and that it forwards ${zoneOf(host)} to the VPC resolver.`;
}

/** A creator request id for the commands below: Resolver requires one, and any unique string will do. */
const REQUEST_ID = 'tidb-privatelink-$(date +%s)';

export function dnsCustomDhcp(vpcId: string, dhcpOptionsId: string, host: string): string {
  return `The DHCP options set ${dhcpOptionsId} of ${vpcId} hands out DNS servers other than AmazonProvidedDNS. Either make those servers forward ${zoneOf(host)} to the VPC resolver (a Route 53 Resolver inbound endpoint, or 169.254.169.253 from inside the VPC), or give the VPC a set that includes it: aws ec2 create-dhcp-options --dhcp-configurations 'Key=domain-name-servers,Values=AmazonProvidedDNS' (keep your domain-name and other options in it), then aws ec2 associate-dhcp-options --vpc-id ${vpcId} --dhcp-options-id <the new dopt-id>; instances pick it up when they renew their lease.`;
}

export function dnsFirewallAllow(
  finding: { rule: FirewallRule; matched: string; allowPriority: number | undefined },
  host: string,
): string {
  const { rule } = finding;
  const zone = zoneOf(host);
  const priority = finding.allowPriority ?? `<a free priority lower than ${rule.priority}>`;
  return `DNS Firewall rule "${rule.name}" (priority ${rule.priority}) in rule group ${rule.firewallRuleGroupId} blocks ${host} (domain list ${rule.firewallDomainListId} matches "${finding.matched}"). Allow the cluster's domain ahead of it: aws route53resolver create-firewall-domain-list --name tidb-privatelink-allow --creator-request-id ${REQUEST_ID}, then aws route53resolver update-firewall-domains --firewall-domain-list-id <the new rslvr-fdl-id> --operation ADD --domains ${zone} '*.${zone}', then aws route53resolver create-firewall-rule --firewall-rule-group-id ${rule.firewallRuleGroupId} --firewall-domain-list-id <the new rslvr-fdl-id> --priority ${priority} --action ALLOW --name tidb-privatelink-allow --creator-request-id ${REQUEST_ID} (or remove the domain from ${rule.firewallDomainListId}).`;
}

export function dnsForwardingRule(rule: ResolverRule, vpcId: string, host: string): string {
  const zone = zoneOf(host);
  const targets = rule.targetIps.length > 0 ? ` to ${rule.targetIps.join(', ')}` : '';
  return `Route 53 Resolver rule ${rule.resolverRuleId} forwards ${rule.domainName}${targets}, so the endpoint's private name is never answered in ${vpcId}. Keep ${zone} in the VPC with a more specific SYSTEM rule: aws route53resolver create-resolver-rule --rule-type SYSTEM --domain-name ${zone} --name tidb-privatelink-system --creator-request-id ${REQUEST_ID}, then aws route53resolver associate-resolver-rule --vpc-id ${vpcId} --resolver-rule-id <the new rslvr-rr-id> (or, if the rule is not needed here: aws route53resolver disassociate-resolver-rule --vpc-id ${vpcId} --resolver-rule-id ${rule.resolverRuleId}).`;
}

export function dnsShadowingZone(
  zone: PrivateHostedZone,
  ids: { vpcId: string; region: string; vpceId: string | undefined; host: string; privateDnsOff: boolean },
): string {
  // EC2 refuses private DNS while a conflicting zone exists: once the zone is gone it can be turned on.
  const enable =
    ids.vpceId && ids.privateDnsOff
      ? ` Then turn the endpoint's private DNS on: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${ids.vpceId} --private-dns-enabled`
      : '';
  return `The private hosted zone ${zone.hostedZoneId} (${zone.name}) associated with ${ids.vpcId} claims ${ids.host}, so it answers instead of the endpoint. Detach it from the VPC: aws route53 disassociate-vpc-from-hosted-zone --hosted-zone-id ${zone.hostedZoneId} --vpc VPCRegion=${ids.region},VPCId=${ids.vpcId} (if this is the zone's last VPC, Route 53 refuses: delete the zone instead with aws route53 delete-hosted-zone --id ${zone.hostedZoneId} after removing its records).${enable}`;
}

export function tcpTimedOut(securityGroupIds: string[], port: number): string {
  const groups = securityGroupIds.length > 0 ? securityGroupIds.join(', ') : 'the endpoint security groups';
  return `Packets are dropped: admit TCP ${port} from this client in ${groups} and in the endpoint subnets' network ACLs (inbound ${port}, outbound ${formatPorts(EPHEMERAL_PORTS)}); the commands are under aws.security-group-ingress and aws.network-acl.`;
}

export function tcpRefused(port: number, clusterId: string): string {
  return `Nothing accepts TCP ${port} behind the endpoint: check that ${port} is the cluster's port (the connection's port in TiDB Cloud) and that cluster ${clusterId} and its connection are ACTIVE.`;
}

export function notTidb(address: string, port: number): string {
  return `${address}:${port} is answered by a server that is not TiDB: check that DNS and the port point at the cluster's endpoint (see dns.resolution) and that no other service shares the address.`;
}

export function noGreeting(clusterId: string): string {
  return `The endpoint accepts connections but TiDB sends no greeting: check that cluster ${clusterId} is ACTIVE; if it is, contact PingCAP support with the cluster id and the endpoint id.`;
}

export function loginFailed(message: string): string {
  return `Login failed (${message}): check the user and password, and pass the cluster's CA certificate (TiDB Cloud console → Connect) when the server's certificate is not publicly trusted.`;
}

// ── The doctor itself ────────────────────────────────────────────────────────

/** A state outside the API's documented enum: the doctor changes nothing and names it verbatim. */
export function undocumentedState(what: string, state: string): string {
  return `The API reports ${what} in state "${state}", which its documentation does not list, so the doctor cannot judge it: check ${what} in the TiDB Cloud console or the AWS console, run the doctor again later, and upgrade tidb-privatelink if the API has added this state.`;
}

export function apiCallFailed(action: string, message: string): string {
  return `${action} failed: ${message}. If this is an authorization error, grant ${action} to the caller; then run the doctor again.`;
}

export function tidbQuotaExhausted(resetsAt: string): string {
  return `The TiDB Cloud API allows 100 requests per minute per API key and this key has used them up: run the doctor again after ${resetsAt}, and look for another process (a second stack, a script) using the same key.`;
}

export function timedOut(what: string): string {
  return `${what} did not finish in time: run again with a larger --timeout-ms; if it still times out, check network access to the AWS and TiDB Cloud APIs and the resolver.`;
}

export function checkCrashed(id: string): string {
  return `The ${id} check failed unexpectedly: run again; if it repeats, report it with the evidence above.`;
}

// ── preflight (before a deploy, with the deployer's credentials) ─────────────

export const DEFAULT_INTERFACE_ENDPOINT_QUOTA = 50;

export function noAwsCredentials(message: string): string {
  return `AWS did not accept the caller's credentials (${message}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the account you deploy to, then check with \`aws sts get-caller-identity\`.`;
}

export function regionUnusable(region: string, message: string): string {
  return `EC2 in ${region} did not answer (${message}): set AWS_REGION to the region of the VPC and the TiDB clusters, e.g. export AWS_REGION=us-east-1.`;
}

export function vpcNotFound(region: string): string {
  return `Set PRIVATELINK_VPC_ID to a VPC of this account in ${region}; list them with \`aws ec2 describe-vpcs --region ${region} --query 'Vpcs[].[VpcId,CidrBlock]'\`.`;
}

export function subnetsNotInVpc(vpcId: string, region: string): string {
  return `Set PRIVATELINK_SUBNET_IDS to subnets of ${vpcId}: \`aws ec2 describe-subnets --region ${region} --filters Name=vpc-id,Values=${vpcId} --query 'Subnets[].[SubnetId,AvailabilityZoneId]'\`.`;
}

export function addSubnetInAnotherZone(vpcId: string, zoneId: string): string {
  return `Add a subnet of ${vpcId} in another availability zone to PRIVATELINK_SUBNET_IDS: with one zone (${zoneId}) the endpoint, and every connection, fails with that zone; TiDB's service is usually offered in several.`;
}

export function endpointQuotaExhausted(vpcId: string, used: number, quota: number): string {
  return `${vpcId} already has ${used} of its ${quota} interface endpoints: request more with \`aws service-quotas request-service-quota-increase --service-code vpc --quota-code L-29B6F2EB --desired-value ${quota + 10}\`, or remove endpoints it no longer needs.`;
}

export function createApiKeySecret(name: string): string {
  return `Create the secret with your TiDB Cloud API key (an Organization Owner or Project Owner key): aws secretsmanager create-secret --name ${name} --secret-string '{"publicKey":"…","privateKey":"…"}', then set TIDB_CLOUD_API_KEY_SECRET_ARN to its ARN.`;
}

export function fixApiKeySecretShape(arn: string): string {
  return `Store the key as JSON with both fields: aws secretsmanager put-secret-value --secret-id ${arn} --secret-string '{"publicKey":"…","privateKey":"…"}'.`;
}

export function allowSecretRead(arn: string, message: string): string {
  return `Could not read ${arn} (${message}): allow secretsmanager:GetSecretValue on it (and kms:Decrypt on its key) for the deploying identity, or check the ARN.`;
}

export function apiKeyRejected(): string {
  return 'TiDB Cloud rejected the key pair: create a new API key (TiDB Cloud console → Organization Settings → API Keys, role Organization Owner or Project Owner) and store both halves in the secret.';
}

export function apiKeyUnusable(message: string): string {
  return `The TiDB Cloud API call failed (${message}): check network access to https://dedicated.tidbapi.com and that the key's role can list clusters (Organization Owner or Project Owner), then run preflight again.`;
}

export function noClustersInRegion(region: string, projectId: string | undefined): string {
  return `The key sees no TiDB Cloud Dedicated cluster on AWS ${region}${projectId ? ` in project ${projectId}` : ''}: deploy in the region of your clusters (AWS_REGION), use a key of the right project (or unset TIDB_CLOUD_PROJECT_ID), or create the cluster first; the stack will pick it up.`;
}

export function eventBusCreatedByStack(name: string): string {
  return `The event bus ${name} does not exist yet: \`serverless deploy\` creates a bus named in PRIVATELINK_EVENT_BUS; if you meant an existing bus, correct the name (\`aws events list-event-buses\`).`;
}

export function preflightCallFailed(id: string, message: string): string {
  return `The ${id} check could not read what it needs (${message}): if AWS denied it, grant that read to the deploying identity; then run \`npx tidb-privatelink preflight\` again.`;
}

/** Lambda's account concurrency below what the stack runs at once (new accounts start at 10). */
export function lambdaConcurrencyLow(region: string, limit: number, needed: number): string {
  return `Request a higher Lambda concurrency quota in ${region}: \`aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value ${Math.max(1000, limit + needed)} --region ${region}\` (or release concurrency other functions reserve); until then some scheduled ticks and events will be throttled and run late.`;
}
