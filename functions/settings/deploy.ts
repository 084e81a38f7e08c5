/**
 * What `serverless package` reads of the deployer's environment, checked and with the catalogue's defaults
 * applied: serverless.yml takes every setting from here (`${self:custom.settings.NAME}`), none from `${env:…}`.
 */

import { SETTINGS } from './catalogue.ts';
import { check, type Env, effectiveValue, type Problem, readIn, setValue } from './check.ts';
import { isSpoke, readVpcs } from './vpcs.ts';

export interface DeploySettings {
  /** Empty when the stack may be packaged. */
  problems: Problem[];
  /**
   * Every deployer setting by its name ('' when unset without a default), and what the template derives from
   * them: the first VPC's `vpcId` and `subnetIds` (the short form's, or the list's first entry of the stack's own account), and
   * `probeSubnetIds`, where the first data plane runs (PRIVATELINK_PROBE_SUBNET_IDS, else those subnets),
   * and `sqlSecretArn`, present only when TIDB_SQL_SECRET_ARN is set (the template's fallback then applies).
   */
  values: Record<string, string>;
}

/**
 * The deployer's settings for the template, and every problem with them.
 * @example deploySettings(process.env).values.PRIVATELINK_STACK_NAME // 'tidb-privatelink' when unset
 */
export function deploySettings(env: Env): DeploySettings {
  const values: Record<string, string> = {};
  for (const setting of SETTINGS.filter((item) => readIn(item, 'package'))) {
    values[setting.name] = effectiveValue(env, setting.name, 'package') ?? '';
  }
  // A spoke's VPC is another account's: the stack's own resources go in its first own VPC.
  const first = readVpcs(env).vpcs.find((vpc) => !isSpoke(vpc));
  const subnetIds = first?.subnetIds.join(',') ?? '';
  return {
    problems: check(env, 'package'),
    values: {
      ...values,
      vpcId: first?.vpcId ?? '',
      subnetIds,
      probeSubnetIds: setValue(env, 'PRIVATELINK_PROBE_SUBNET_IDS') ?? subnetIds,
      ...(values.TIDB_SQL_SECRET_ARN ? { sqlSecretArn: values.TIDB_SQL_SECRET_ARN } : {}),
    },
  };
}
