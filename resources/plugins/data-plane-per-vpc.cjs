/**
 * Several VPCs in one stack (`PRIVATELINK_VPCS`): every VPC needs its own data plane, attached to it, since an
 * endpoint is probed from inside its own VPC. serverless.yml declares the first (`dataPlane`,
 * `ProbeSecurityGroup`); for each further VPC this plugin adds `dataPlaneN` with its own egress-only group
 * `ProbeSecurityGroupN`, its own role (interfaces only in that VPC's subnets, with that group), its error
 * alarm, and lets probe and troubleshoot invoke it (`PRIVATELINK_DATA_PLANES` tells them which runs where).
 * A spoke entry (`roleArn`: another account's VPC) gets none of that: its data plane is the spoke
 * template's, named in `PRIVATELINK_DATA_PLANES` by ARN and invokable by probe and troubleshoot; the
 * functions that touch VPCs may `sts:AssumeRole` exactly the spokes' roles. With the single-VPC variables
 * it changes nothing.
 */
'use strict';

const { listForm, validVpcs, ownVpcs, spokeVpcs, settingOf, interfaceResources } = require('../vpcs.cjs');

const SHORT_FORM = ['PRIVATELINK_VPC_ID', 'PRIVATELINK_SUBNET_IDS', 'PRIVATELINK_SECURITY_GROUP_IDS'];
const FIRST = { key: 'dataPlane', group: 'ProbeSecurityGroup' };

const clone = (value) => JSON.parse(JSON.stringify(value));
const capitalised = (key) => `${key[0].toUpperCase()}${key.slice(1)}`;
const actionsOf = (statement) => [].concat(statement.Action ?? []);

/** `dataPlane`, `dataPlane2`, …: the first keeps the single-VPC names, so adding a VPC replaces nothing. */
function sitesOf(vpcs, service, stage) {
  return vpcs.map((vpc, index) => {
    const names =
      index === 0 ? FIRST : { key: `dataPlane${index + 1}`, group: `ProbeSecurityGroup${index + 1}` };
    return { ...names, vpc, functionName: `${service}-${stage}-${names.key}` };
  });
}

/** The extra VPC's function: the first one's definition, placed and permitted in its own VPC. */
function dataPlaneFor(site, first) {
  return {
    ...clone(first),
    name: site.functionName,
    vpc: { securityGroupIds: [{ Ref: site.group }], subnetIds: site.vpc.subnetIds },
    iamRoleStatements: first.iamRoleStatements.map((statement) =>
      actionsOf(statement).includes('ec2:CreateNetworkInterface')
        ? { ...clone(statement), Resource: interfaceResources(site.group, site.vpc.subnetIds) }
        : clone(statement),
    ),
  };
}

/** The first VPC's group, alarm and role extension, renamed and placed for `site`. */
function resourcesFor(site, resources) {
  const id = capitalised(site.key);
  const group = clone(resources.Resources[FIRST.group]);
  group.Properties.VpcId = site.vpc.vpcId;
  const renamed = JSON.stringify(resources.Resources.DataPlaneErrorsAlarm)
    .replaceAll('DataPlaneLambdaFunction', `${id}LambdaFunction`)
    .replaceAll('-dataPlane', `-${site.key}`)
    .replaceAll('The dataPlane function', `The ${site.key} function`);
  resources.Resources[site.group] = group;
  resources.Resources[`${id}ErrorsAlarm`] = JSON.parse(renamed);
  resources.extensions[`${id}IamRoleLambdaExecution`] = clone(
    resources.extensions.DataPlaneIamRoleLambdaExecution,
  );
}

/**
 * A spoke's data plane: its entry's `dataPlaneFunctionArn`, else the name the spoke template gives it, in the
 * role's account and partition (`<service>-<stage>-dataPlane-<vpcId>`); its security group is the spoke's.
 */
function spokeSiteFor(vpc, service, stage) {
  const [, partition, , , accountId] = vpc.roleArn.split(':');
  const arn =
    vpc.dataPlaneFunctionArn ??
    `arn:${partition}:lambda:\${AWS::Region}:${accountId}:function:${service}-${stage}-dataPlane-${vpc.vpcId}`;
  return { vpcId: vpc.vpcId, functionName: arn, securityGroupIds: [], subnetIds: vpc.subnetIds };
}

/**
 * Probe and troubleshoot: which data plane runs in which VPC (the spokes' by ARN), and leave to invoke every
 * one of them.
 */
function callerFor(fn, sites, spokeSites) {
  const sub = sites.map((site) => ({
    vpcId: site.vpc.vpcId,
    functionName: site.functionName,
    securityGroupIds: [`\${${site.group}}`],
    subnetIds: site.vpc.subnetIds,
  }));
  sub.push(...spokeSites);
  // The list form replaces the short form, the probe subnets included (each data plane uses its VPC's).
  delete fn.environment.PRIVATELINK_PROBE_SUBNET_IDS;
  fn.environment.PRIVATELINK_DATA_PLANES = { 'Fn::Sub': JSON.stringify(sub) };
  for (const statement of fn.iamRoleStatements) {
    if (!actionsOf(statement).includes('lambda:InvokeFunction')) continue;
    const [own] = [].concat(statement.Resource);
    statement.Resource = [
      ...sites.map((site) => ({
        'Fn::Sub': own['Fn::Sub'].replace(/function:[^:]+$/, `function:${site.functionName}`),
      })),
      ...spokeSites.map((site) => ({ 'Fn::Sub': site.functionName })),
    ];
  }
}

/** The functions that call AWS about the stack's VPCs: they assume the spokes' roles, exactly those. */
const touchesVpcs = (fn) =>
  Boolean(fn.environment?.PRIVATELINK_DATA_PLANE_FUNCTION) ||
  (fn.iamRoleStatements ?? []).some((statement) => actionsOf(statement).includes('ec2:CreateVpcEndpoint'));

/** `sts:AssumeRole` on exactly the spoke entries' roles (iam.yml's `assumeSpokeRoles`). */
function assumeSpokeRoles(serverless, spokes) {
  const roles = [...new Set(spokes.map((vpc) => vpc.roleArn))];
  for (const fn of Object.values(serverless.service.functions)) {
    if (!touchesVpcs(fn)) continue;
    fn.iamRoleStatements.push({ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: roles });
  }
}

function addDataPlanes(serverless) {
  if (!listForm()) return;
  const { service } = serverless;
  const stage = serverless.getProvider('aws').getStage();
  // settings.cjs has refused a bad list before any plugin runs. A spoke's VPC gets no data plane, group or
  // role here: the spoke template builds them in its own account.
  const sites = sitesOf(ownVpcs(), service.service, stage);
  const spokes = spokeVpcs();
  const spokeSites = spokes.map((vpc) => spokeSiteFor(vpc, service.service, stage));
  const environment = service.provider.environment;
  for (const name of SHORT_FORM) delete environment[name];
  environment.PRIVATELINK_VPCS = JSON.stringify(validVpcs().map(settingOf));
  for (const site of sites.slice(1)) {
    service.functions[site.key] = dataPlaneFor(site, service.functions[FIRST.key]);
    resourcesFor(site, service.resources);
  }
  for (const fn of Object.values(service.functions)) {
    if (fn.environment?.PRIVATELINK_DATA_PLANE_FUNCTION) callerFor(fn, sites, spokeSites);
  }
  if (spokes.length > 0) assumeSpokeRoles(serverless, spokes);
}

class DataPlanePerVpc {
  constructor(serverless) {
    // `initialize` runs once every variable is resolved, before anything is compiled or bundled.
    this.hooks = { initialize: () => addDataPlanes(serverless) };
  }
}

module.exports = DataPlanePerVpc;
