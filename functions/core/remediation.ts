/**
 * Every fix the app tells a user, in one place so the wording can be reviewed together. Each function
 * returns the exact command (AWS CLI where one exists) or instruction for the situation.
 */

export const remediation = {
  resumeCluster: (clusterId: string) =>
    `Resume the cluster in the TiDB Cloud console, or: curl --digest --user "$TIDB_CLOUD_PUBLIC_KEY:$TIDB_CLOUD_PRIVATE_KEY" -X POST https://dedicated.tidbapi.com/v1beta1/clusters/${clusterId}:resumeCluster`,

  clusterUnavailable: (clusterId: string, state: string) =>
    `Cluster ${clusterId} is ${state}; nothing can connect to it until it is ACTIVE again. Check it in the TiDB Cloud console.`,

  notAws: (provider: string) =>
    `This cluster runs on ${provider}; AWS PrivateLink reaches only AWS clusters. Use that cloud's private connectivity instead.`,

  otherRegion: (clusterRegion: string, ourRegion: string) =>
    `PrivateLink is same-region only: deploy tidb-privatelink in ${clusterRegion} (with a VPC there), or connect from ${ourRegion} over VPC peering with the TiDB Cloud network container.`,

  serviceDeleting: (clusterId: string) =>
    `The private link service of cluster ${clusterId} is being deleted (the cluster or node group is going away); nothing to provision.`,

  enableVpcDns: (vpcId: string, missing: Array<'enableDnsSupport' | 'enableDnsHostnames'>) =>
    missing
      .map((attribute) =>
        attribute === 'enableDnsSupport'
          ? `aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-support '{"Value":true}'`
          : `aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-hostnames '{"Value":true}'`,
      )
      .join(' && '),

  addSupportedSubnet: (vpcId: string, zoneIds: string[]) =>
    `Create a subnet in ${vpcId} in one of the supported AZ IDs (${zoneIds.join(', ')}) and add it to PRIVATELINK_SUBNET_IDS: aws ec2 create-subnet --vpc-id ${vpcId} --availability-zone-id ${zoneIds[0] ?? '<az-id>'} --cidr-block <free-cidr>`,

  adoptOrDeleteForeignEndpoint: (vpcEndpointId: string, clusterId: string, nodeGroupId: string) =>
    `An endpoint to this service that tidb-privatelink did not create already exists (${vpcEndpointId}). Adopt it: aws ec2 create-tags --resources ${vpcEndpointId} --tags Key=tidb-privatelink:managed-by,Value=tidb-privatelink Key=tidb-privatelink:cluster-id,Value=${clusterId} Key=tidb-privatelink:node-group-id,Value=${nodeGroupId} — or delete it: aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${vpcEndpointId}`,

  recreateEndpoint: (vpcEndpointId: string) =>
    `The endpoint was rejected or failed; delete it so the next reconcile creates a new one: aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${vpcEndpointId}`,

  endpointCreateFailed: (awsMessage: string) =>
    `AWS refused to create the endpoint: ${awsMessage} Fix the cause (subnets, security groups, endpoint quota), then run: npx tidb-privatelink provision --cluster <clusterId>`,

  tidbConnectionFailed: (
    vpcEndpointId: string,
    clusterId: string,
    nodeGroupId: string,
    connectionId: string,
  ) =>
    `Check that ${vpcEndpointId} exists in this region and targets the cluster's service, then delete the failed registration so it is retried: curl --digest --user "$TIDB_CLOUD_PUBLIC_KEY:$TIDB_CLOUD_PRIVATE_KEY" -X DELETE https://dedicated.tidbapi.com/v1beta1/clusters/${clusterId}/tidbNodeGroups/${nodeGroupId}/privateEndpointConnections/${connectionId}`,

  privateDnsConflict: (vpcEndpointId: string, awsMessage: string) =>
    `AWS could not enable private DNS on ${vpcEndpointId}: ${awsMessage} Another endpoint or a private hosted zone in this VPC claims the name: find it with aws ec2 describe-vpc-endpoints --filters Name=vpc-id,Values=<vpc> and aws route53 list-hosted-zones-by-vpc --vpc-id <vpc> --vpc-region <region>, remove it, then run: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${vpcEndpointId} --private-dns-enabled`,
} as const;
