/** The dry run's hand equivalents: exact commands, and text from outside quoted for the shell. */
import { describe, expect, it } from 'vitest';
import { equivalentOf, shellQuote } from '../../../../functions/core/reconcile/equivalents.ts';

const context = {
  region: 'us-east-1',
  clusterId: '1379661944646413143',
  tidbNodeGroupId: '1934178998036000000',
};

describe('equivalentOf', () => {
  it('quotes a display name that would break out of the command', () => {
    const command = equivalentOf(
      { type: 'create-endpoint', subnetIds: ['subnet-1'], skippedSubnets: [] },
      {
        ...context,
        create: {
          vpcId: 'vpc-1',
          serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-1',
          securityGroupIds: ['sg-1'],
          tags: { Name: "tidb-it's; rm -rf $HOME" },
        },
      },
    );
    expect(command).toContain(
      `--tag-specifications 'ResourceType=vpc-endpoint,Tags=[{Key=Name,Value=tidb-it'\\''s; rm -rf $HOME}]'`,
    );
  });

  it('names the orphan tag and the TiDB connection exactly', () => {
    expect(equivalentOf({ type: 'clear-orphaned', vpcEndpointId: 'vpce-1' }, context)).toBe(
      'aws ec2 delete-tags --region us-east-1 --resources vpce-1 --tags Key=tidb-privatelink:orphaned-since',
    );
    expect(
      equivalentOf(
        { type: 'delete-connection', vpcEndpointId: 'vpce-1', privateEndpointConnectionId: '42' },
        context,
      ),
    ).toBe(
      'TiDB Cloud API: DELETE /v1beta1/clusters/1379661944646413143/tidbNodeGroups/1934178998036000000/privateEndpointConnections/42',
    );
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes anything else', () => {
    expect(shellQuote('subnet-0abc')).toBe('subnet-0abc');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
