/**
 * A spoke's EC2 calls, through the SDK against a local stand-in for STS and EC2 (127.0.0.1): the role is
 * assumed with the function's session name and the entry's external id, once per role, its credentials
 * sign the calls, an `ExpiredToken` answer gets fresh ones once, and STS's refusals become the app's errors.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spokeEc2Ports } from '../../../../functions/adapters/aws/spoke-ec2.ts';
import { AwsError, failureKind, SpokeAccessDeniedError } from '../../../../functions/core/errors.ts';
import {
  type RawReply,
  type RawRequest,
  type RawServer,
  startRawServer,
} from '../../../../testing/raw-http-server.ts';

const ROLE = 'arn:aws:iam::222233334444:role/tidb-privatelink-spoke';
const SESSION = 'tidb-privatelink-dev-reconcile';
const EXTERNAL_ID = 'tenant-42-shared';
const XML = { 'content-type': 'text/xml' };

const assumed = (key: string, expiresInMs = 3_600_000): RawReply => ({
  headers: XML,
  body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${key}</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token-${key}</SessionToken><Expiration>${new Date(Date.now() + expiresInMs).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:${SESSION}</AssumedRoleId><Arn>${ROLE}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
});
const stsError = (status: number, code: string, message: string): RawReply => ({
  status,
  headers: XML,
  body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
});
const noEndpoints: RawReply = {
  headers: XML,
  body: '<DescribeVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcEndpointSet/></DescribeVpcEndpointsResponse>',
};
const expiredToken: RawReply = {
  status: 400,
  headers: XML,
  body: '<Response><Errors><Error><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error></Errors><RequestID>r</RequestID></Response>',
};

let server: RawServer | undefined;

beforeEach(() => {
  // The hub's own credentials, which sign AssumeRole (the SDK's default chain reads them from here).
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAHUB');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'hub-secret');
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

/** STS's and EC2's answers from one server, told apart by the form's Action. */
async function stack(sts: (n: number) => RawReply, ec2: (n: number) => RawReply) {
  let assumes = 0;
  let calls = 0;
  server = await startRawServer((request: RawRequest) =>
    request.body.includes('Action=AssumeRole') ? sts(++assumes) : ec2(++calls),
  );
  const aws = { region: 'us-east-1', endpointUrl: server.url, maxAttempts: 1 };
  const ports = spokeEc2Ports(
    [
      { vpcId: 'vpc-0c1', roleArn: ROLE, externalId: EXTERNAL_ID },
      { vpcId: 'vpc-0c2', roleArn: ROLE, externalId: EXTERNAL_ID },
    ],
    { aws, sessionName: SESSION },
  );
  const requests = () => server?.requests ?? [];
  return {
    ports,
    assumeRequests: () => requests().filter((r) => r.body.includes('Action=AssumeRole')),
    ec2Requests: () => requests().filter((r) => r.body.includes('Action=DescribeVpcEndpoints')),
  };
}

const form = (request: RawRequest | undefined) => new URLSearchParams(request?.body ?? '');

describe("a spoke VPC's EC2 calls", () => {
  it("assume the role once per role, with the function's session name and the external id, and sign with it", async () => {
    const { ports, assumeRequests, ec2Requests } = await stack(
      () => assumed('ASIAFIRST'),
      () => noEndpoints,
    );
    expect(ports.ec2Of('vpc-0aaa')).toBeUndefined();
    await ports.ec2Of('vpc-0c1')?.listManagedEndpoints({});
    await ports.ec2Of('vpc-0c2')?.listManagedEndpoints({});
    expect(assumeRequests()).toHaveLength(1);
    const params = form(assumeRequests()[0]);
    expect([params.get('RoleArn'), params.get('RoleSessionName'), params.get('ExternalId')]).toEqual([
      ROLE,
      SESSION,
      EXTERNAL_ID,
    ]);
    expect(assumeRequests()[0]?.headers.authorization).toContain('Credential=AKIAHUB/');
    expect(ec2Requests()).toHaveLength(2);
    for (const request of ec2Requests()) {
      expect(request.headers.authorization).toContain('Credential=ASIAFIRST/');
      expect(request.headers['x-amz-security-token']).toBe('token-ASIAFIRST');
    }
  });

  it('share one AssumeRole among calls made at once', async () => {
    const { ports, assumeRequests, ec2Requests } = await stack(
      () => assumed('ASIAFIRST'),
      () => noEndpoints,
    );
    await Promise.all(
      ['vpc-0c1', 'vpc-0c2', 'vpc-0c1'].map((vpcId) => ports.ec2Of(vpcId)?.listManagedEndpoints({})),
    );
    expect(assumeRequests()).toHaveLength(1);
    expect(ec2Requests()).toHaveLength(3);
  });

  it('assume the role again shortly before the credentials expire', async () => {
    const { ports, assumeRequests } = await stack(
      (n) => assumed(`ASIA${n}`, n === 1 ? 60_000 : 3_600_000),
      () => noEndpoints,
    );
    await ports.ec2Of('vpc-0c1')?.listManagedEndpoints({});
    await ports.ec2Of('vpc-0c1')?.listManagedEndpoints({});
    await ports.ec2Of('vpc-0c1')?.listManagedEndpoints({});
    // The first set expires within the refresh margin: the next call takes a fresh one, then keeps it.
    expect(assumeRequests()).toHaveLength(2);
  });

  it('get fresh credentials once when a call comes back ExpiredToken, and sign the retry with them', async () => {
    const { ports, assumeRequests, ec2Requests } = await stack(
      (n) => assumed(`ASIA${n}`),
      (n) => (n === 1 ? expiredToken : noEndpoints),
    );
    await expect(ports.ec2Of('vpc-0c1')?.listManagedEndpoints({})).resolves.toEqual([]);
    expect(assumeRequests()).toHaveLength(2);
    expect(ec2Requests().map((r) => /Credential=(\w+)\//.exec(r.headers.authorization ?? '')?.[1])).toEqual([
      'ASIA1',
      'ASIA2',
    ]);
  });

  it("refresh only once: a second ExpiredToken is the call's failure", async () => {
    const { ports, assumeRequests } = await stack(
      (n) => assumed(`ASIA${n}`),
      () => expiredToken,
    );
    const failure = await ports
      .ec2Of('vpc-0c1')
      ?.listManagedEndpoints({})
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AwsError);
    expect((failure as AwsError).awsCode).toBe('ExpiredToken');
    expect(assumeRequests()).toHaveLength(2);
  });

  it('turn a refused AssumeRole into SPOKE_ACCESS_DENIED with the fix, never echoing the external id', async () => {
    const { ports } = await stack(
      () =>
        stsError(
          403,
          'AccessDenied',
          `User: arn:aws:sts::111122223333:assumed-role/hub/${SESSION} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
        ),
      () => noEndpoints,
    );
    const failure = await ports
      .ec2Of('vpc-0c1')
      ?.listManagedEndpoints({})
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SpokeAccessDeniedError);
    const denied = failure as SpokeAccessDeniedError;
    expect(denied.code).toBe('SPOKE_ACCESS_DENIED');
    expect(failureKind(denied)).toBe('refused');
    expect(denied.message).toMatch(
      /^The hub cannot assume the spoke role arn:aws:iam::222233334444:role\/tidb-privatelink-spoke: User: /,
    );
    expect(denied.remediation).toContain(
      `aws sts assume-role --role-arn ${ROLE} --role-session-name ${SESSION} --external-id`,
    );
    expect(denied.remediation).toMatch(/trust policy/);
    expect(`${denied.message} ${denied.remediation}`).not.toContain(EXTERNAL_ID);
  });

  it('turn STS throttling into a transient AwsError (Error for those pairs, tried again)', async () => {
    const { ports } = await stack(
      () => ({ ...stsError(400, 'Throttling', 'Rate exceeded') }),
      () => noEndpoints,
    );
    const failure = await ports
      .ec2Of('vpc-0c1')
      ?.listManagedEndpoints({})
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AwsError);
    expect((failure as AwsError).awsCode).toBe('Throttling');
    expect(failureKind(failure)).toBe('transient');
  });
});
