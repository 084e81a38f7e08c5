import { describe, expect, it } from 'vitest';
import { ApiShapeError, checkAnswer } from '../../../../functions/adapters/tidbcloud/shape.ts';

// What grpc-gateway may send for the same resource: omitted, null or empty fields are all "not set".
describe('checkAnswer accepts every plausible answer', () => {
  it.each([
    ['an empty page', {}],
    ['a null list and an empty token', { clusters: null, nextPageToken: '' }],
    [
      'a cluster with only its id',
      { clusters: [{ clusterId: '1379661944646413143' }], totalSize: 1, nextPageToken: '' },
    ],
    [
      'a cluster with null host and empty labels',
      {
        clusters: [
          {
            clusterId: '1379661944646413143',
            labels: {},
            port: 4000,
            tidbNodeSetting: {
              tidbNodeGroups: [{ tidbNodeGroupId: '1934178998036000000', endpoints: [{ host: null }] }],
            },
          },
        ],
      },
    ],
  ])('%s', (_name, body) => {
    expect(() => checkAnswer(body, 'cluster', 'clusters')).not.toThrow();
  });

  it('a connection without an id (a DISCOVERED endpoint may have none) and a CREATING service', () => {
    expect(() =>
      checkAnswer({ endpointId: 'vpce-0a1b', endpointState: 'DISCOVERED' }, 'connection'),
    ).not.toThrow();
    expect(() => checkAnswer({ state: 'CREATING' }, 'privateLinkService')).not.toThrow();
  });
});

describe('checkAnswer refuses what would be misread', () => {
  it.each([
    ['a 200 carrying an error', { code: 13, message: 'internal' }, /the body is an error \("internal"\)/],
    [
      'an id as a number',
      { clusters: [{ clusterId: JSON.parse('1379661944646413143') as number }] },
      /clusters\[0\]\.clusterId is not a string of digits/,
    ],
    ['a list that is not one', { clusters: 'none' }, /clusters is not a list/],
    ['a string', 'clusters', /the body is not a JSON object/],
    [
      'a port as text',
      { clusters: [{ clusterId: '1', port: '4000' }] },
      /clusters\[0\]\.port is not a number/,
    ],
  ])('%s', (_name, body, message) => {
    expect(() => checkAnswer(body, 'cluster', 'clusters')).toThrow(ApiShapeError);
    expect(() => checkAnswer(body, 'cluster', 'clusters')).toThrow(message);
  });

  it('a service whose zones are not strings', () => {
    expect(() => checkAnswer({ state: 'ACTIVE', availableZones: [1, 2] }, 'privateLinkService')).toThrow(
      /privateLinkService\.availableZones is not a list of strings/,
    );
  });
});
