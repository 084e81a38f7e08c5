/**
 * The settings module: every setting in one catalogue and one check of them all. It imports nothing outside
 * this folder, so resources/settings-module.cjs can bundle it for `serverless package` with esbuild.
 */

export type { DeploySource, FunctionName, Setting } from './catalogue.ts';
export {
  DEFAULT_API_URL,
  DEFAULT_REQUESTS_PER_MINUTE,
  DEFAULT_STACK_NAME,
  SETTINGS,
  settingOf,
} from './catalogue.ts';
export {
  blamed,
  check,
  defaultedValue,
  type Env,
  effectiveValue,
  FUNCTION_NEEDS,
  type Needs,
  PACKAGE_NEEDS,
  type Phase,
  type Problem,
  readIn,
  regionOf,
  setValue,
} from './check.ts';
export { type DataPlaneSite, parseDataPlanes } from './data-planes.ts';
export { type DeploySettings, deploySettings } from './deploy.ts';
export { cliHelpConfiguration, cliVariables, settingsTable, withSettingsTable } from './docs.ts';
export { listOf, periodSecondsOf } from './rules.ts';
export {
  isSpoke,
  readVpcs,
  roleAccount,
  SINGLE_VPC_VARIABLES,
  VPCS_VARIABLE,
  type VpcsReading,
  type VpcTarget,
} from './vpcs.ts';
