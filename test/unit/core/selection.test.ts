import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/config.ts';
import { ConfigError } from '../../../functions/core/errors.ts';
import { ALL_CLUSTERS, parseSelection, selects } from '../../../functions/core/selection.ts';

const cluster = (clusterId: string, displayName: string) => ({ clusterId, displayName });

describe('PRIVATELINK_CLUSTERS selection', () => {
  it('splits ids from display-name globs', () => {
    expect(parseSelection(' prod-*, 1379661944646413143 ,,db-?')).toEqual({
      ids: ['1379661944646413143'],
      globs: ['prod-*', 'db-?'],
    });
    expect(parseSelection(undefined)).toEqual(ALL_CLUSTERS);
  });

  it.each([
    ['prod-*', cluster('1', 'prod-orders'), true],
    ['prod-*', cluster('1', 'staging-prod'), false],
    ['db-?', cluster('1', 'db-1'), true],
    ['db-?', cluster('1', 'db-12'), false],
    ['orders.v2', cluster('1', 'ordersXv2'), false],
    ['1379661944646413143', cluster('1379661944646413143', 'anything'), true],
    ['1379661944646413143', cluster('1379661944646413144', '1379661944646413143'), false],
  ])('%s selects %o: %s', (text, candidate, expected) => {
    expect(selects(parseSelection(text), candidate)).toBe(expected);
  });

  it('takes every cluster without a selection', () => {
    expect(selects(ALL_CLUSTERS, cluster('1', 'x'))).toBe(true);
    expect(selects(undefined, cluster('1', 'x'))).toBe(true);
  });

  it('reaches the configuration, and a bad entry is one of the listed problems', () => {
    const env = { AWS_REGION: 'us-east-1', PRIVATELINK_CLUSTERS: 'prod-*,42' };
    expect(loadConfig(env).privateLink.clusters).toEqual({ ids: ['42'], globs: ['prod-*'] });
    expect(loadConfig(env).privateLink.stateTable).toBeUndefined();
    expect(loadConfig({ ...env, PRIVATELINK_STATE_TABLE: 't' }).privateLink.stateTable).toBe('t');
    expect(() => loadConfig({ AWS_REGION: 'us-east-1', PRIVATELINK_CLUSTERS: 'a b' })).toThrow(ConfigError);
    expect(() => loadConfig({ PRIVATELINK_CLUSTERS: 'a b' })).toThrow(/AWS_REGION.*"a b"|"a b".*AWS_REGION/);
  });
});
