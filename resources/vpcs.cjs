/**
 * The stack's VPCs at package time: `PRIVATELINK_VPCS` (a JSON list) or the single-VPC short form
 * (`PRIVATELINK_VPC_ID`, `PRIVATELINK_SUBNET_IDS`, `PRIVATELINK_SECURITY_GROUP_IDS`). Read by the very code
 * the functions use (functions/settings/vpcs.ts, bundled by settings-module.cjs), so the template and the code
 * can never disagree on what the setting means. Each export is resolved as `${file(./resources/vpcs.cjs):name}`;
 * resources/plugins/data-plane-per-vpc.cjs adds a data plane per extra VPC from `validVpcs`.
 */
'use strict';

const { settingsModule } = require('./settings-module.cjs');

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JavaScript.
const EC2_ARN = 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}';

/** Whether the list form is in use: then the functions read PRIVATELINK_VPCS, not the short form. */
const listForm = (env = process.env) =>
  settingsModule().setValue(env, settingsModule().VPCS_VARIABLE) !== undefined;

/** A data plane's network interfaces: only in its own subnets, with its own security group. */
function interfaceResources(groupId, subnetIds) {
  return [
    { 'Fn::Sub': `${EC2_ARN}:network-interface/*` },
    { 'Fn::Sub': `${EC2_ARN}:security-group/\${${groupId}}` },
    ...subnetIds.map((subnetId) => ({ 'Fn::Sub': `${EC2_ARN}:subnet/${subnetId}` })),
  ];
}

/** The list when it is valid, else nothing: settings.cjs refuses bad settings, once, in one message. */
function validVpcs() {
  const { vpcs, problems } = settingsModule().readVpcs(process.env);
  return problems.length > 0 ? [] : vpcs;
}

/**
 * The stack's own VPCs: a spoke's (an entry with `roleArn`) is another account's, where this stack builds
 * nothing and its own role grants nothing (the spoke's role does, under the spoke template).
 */
const ownVpcs = () => validVpcs().filter((vpc) => !settingsModule().isSpoke(vpc));
const spokeVpcs = () => validVpcs().filter((vpc) => settingsModule().isSpoke(vpc));

/** The entry as the functions read it again: the derived `accountId` left out (not a field one may set). */
const settingOf = ({ accountId, ...entry }) => entry;

module.exports = {
  validVpcs,
  ownVpcs,
  spokeVpcs,
  settingOf,
  listForm,
  interfaceResources,
  /** CreateVpcEndpoint authorises the VPC on its own: every own VPC of the stack, any subnet and group in them. */
  endpointNetworkResources: async () => [
    ...ownVpcs().map((vpc) => ({ 'Fn::Sub': `${EC2_ARN}:vpc/${vpc.vpcId}` })),
    { 'Fn::Sub': `${EC2_ARN}:subnet/*` },
    { 'Fn::Sub': `${EC2_ARN}:security-group/*` },
  ],
  /** `ec2:Vpc` values: every own VPC of the stack (a list matches any of them). */
  vpcArns: async () => ownVpcs().map((vpc) => ({ 'Fn::Sub': `${EC2_ARN}:vpc/${vpc.vpcId}` })),
  /** `route53:VPCs` values: one string for one VPC (as before), a list (any of them) for several. */
  route53Vpcs: async () => {
    const values = ownVpcs().map((vpc) => ({ 'Fn::Sub': `VPCId=${vpc.vpcId},VPCRegion=\${AWS::Region}` }));
    return values.length === 1 ? values[0] : values;
  },
};
