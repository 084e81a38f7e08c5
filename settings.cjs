// The deploy-time settings serverless.yml needs, read from the environment and checked all at once, so
// `serverless package` / `deploy` without them fails with one message naming every missing or malformed
// one (instead of one "Cannot resolve variable" per property). Referenced once, as
// `custom.settings: ${file(./settings.cjs)}`. CommonJS: osls loads variable files with require().
const ServerlessError = require('osls/lib/serverless-error');
const { listForm, readVpcsOf } = require('./resources/vpcs.cjs');

/** The short form's variables; PRIVATELINK_VPCS (several VPCs) replaces them, its first VPC standing in. */
const SHORT_FORM = ['PRIVATELINK_VPC_ID', 'PRIVATELINK_SUBNET_IDS'];

const REQUIRED = [
  {
    name: 'TIDB_CLOUD_API_KEY_SECRET_ARN',
    key: 'apiKeySecretArn',
    what: 'ARN of the Secrets Manager secret {"publicKey","privateKey"}',
    valid: (value) => /^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+$/.test(value),
  },
  {
    name: 'PRIVATELINK_VPC_ID',
    key: 'vpcId',
    what: 'vpc-…, the VPC the endpoints go in',
    valid: (value) => /^vpc-[0-9a-f]+$/.test(value),
  },
  {
    name: 'PRIVATELINK_SUBNET_IDS',
    key: 'subnetIds',
    what: 'subnet-…,subnet-…, subnets of that VPC',
    valid: (value) => value.split(',').every((id) => /^subnet-[0-9a-f]+$/.test(id.trim())),
  },
];

/** @returns {{ apiKeySecretArn: string, vpcId: string, subnetIds: string }} */
module.exports = () => {
  const missing = [];
  const invalid = [];
  const settings = {};
  const list = listForm(process.env);
  if (list) {
    const { vpcs, problems } = readVpcsOf(process.env);
    invalid.push(...problems);
    if (vpcs[0]) Object.assign(settings, { vpcId: vpcs[0].vpcId, subnetIds: vpcs[0].subnetIds.join(',') });
  }
  for (const { name, key, what, valid } of REQUIRED.filter(
    (item) => !list || !SHORT_FORM.includes(item.name),
  )) {
    const value = (process.env[name] ?? '').trim();
    if (!value) missing.push(`${name} (${what})`);
    else if (!valid(value)) invalid.push(`${name}="${value}" (expected ${what})`);
    else settings[key] = value;
  }
  if (missing.length > 0 || invalid.length > 0) {
    const problems = [
      missing.length > 0 && `missing ${missing.join(', ')}`,
      invalid.length > 0 && `invalid ${invalid.join(', ')}`,
    ].filter(Boolean);
    // osls passes an error that starts this way through unchanged (any other gets a stack trace attached).
    throw new ServerlessError(
      `Cannot resolve variable at "custom.settings": deploy settings ${problems.join('; ')}. Export them (README, Deploy) and run again.`,
      'PRIVATELINK_SETTINGS',
    );
  }
  return settings;
};
