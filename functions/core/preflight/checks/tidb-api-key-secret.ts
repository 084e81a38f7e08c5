import { allowSecretRead, createApiKeySecret, fixApiKeySecretShape } from '../../remediation.ts';
import { awsCodeOf, messageOf, type PreflightCheck } from './types.ts';

const SUGGESTED_NAME = 'tidb-cloud-api-key';

/** The secret's name from its ARN (`…:secret:name-AbCdEf` or `…:secret:name`), for the create command. */
function nameOf(arn: string): string {
  const name = arn.split(':secret:')[1] ?? arn;
  return name.replace(/-[A-Za-z0-9]{6}$/, '') || SUGGESTED_NAME;
}

/** The API-key secret exists and holds `{"publicKey","privateKey"}`; its content is never shown. */
export const tidbApiKeySecret: PreflightCheck = {
  id: 'tidb.api-key-secret',
  dependsOn: [{ id: 'aws.credentials' }],
  async run(context) {
    const arn = context.settings.apiKeySecretArn;
    if (!arn) {
      return {
        status: 'warn',
        summary:
          'Using TIDB_CLOUD_PUBLIC_KEY/TIDB_CLOUD_PRIVATE_KEY from the environment; the stack needs TIDB_CLOUD_API_KEY_SECRET_ARN.',
        remediation: createApiKeySecret(SUGGESTED_NAME),
      };
    }
    try {
      const keys = await context.keyPair();
      if (keys) return { status: 'pass', summary: `${arn} holds a {"publicKey","privateKey"} pair.` };
      return {
        status: 'fail',
        summary: `${arn} is not JSON with non-empty "publicKey" and "privateKey" strings.`,
        remediation: fixApiKeySecretShape(arn),
      };
    } catch (error) {
      if (awsCodeOf(error) === 'ResourceNotFoundException') {
        return {
          status: 'fail',
          summary: `The secret ${arn} does not exist.`,
          remediation: createApiKeySecret(nameOf(arn)),
        };
      }
      return {
        status: 'fail',
        summary: `The secret ${arn} could not be read.`,
        remediation: allowSecretRead(arn, messageOf(error)),
      };
    }
  },
};
