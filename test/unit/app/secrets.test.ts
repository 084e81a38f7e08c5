import { describe, expect, it } from 'vitest';
import { requireStringFields } from '../../../functions/app/lambda-deps.ts';
import { ConfigError } from '../../../functions/core/errors.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tidb-cloud-api-key';

describe('requireStringFields: the API key secret', () => {
  it('returns the fields of a well-formed secret', () => {
    expect(
      requireStringFields({ publicKey: 'PUB', privateKey: 'PRIV', extra: 1 }, ARN, [
        'publicKey',
        'privateKey',
      ]),
    ).toEqual({
      publicKey: 'PUB',
      privateKey: 'PRIV',
    });
  });

  it('lists every missing or empty field at once and never echoes a value', () => {
    const attempt = () =>
      requireStringFields({ publicKey: 'leaked-value', privateKey: '' }, ARN, [
        'publicKey',
        'privateKey',
        'other',
      ]);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/"privateKey".*"other"/);
    expect(attempt).not.toThrow(/leaked-value/);
  });

  it('rejects a secret that is not a JSON object', () => {
    expect(() => requireStringFields('PUB:PRIV', ARN, ['publicKey'])).toThrow(
      `the secret ${ARN} has no "publicKey" string`,
    );
  });
});
