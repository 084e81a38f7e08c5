/**
 * `check(env, phase, needs)`: every problem of an environment at once, each naming the variables it blames.
 * The same function serves `serverless package` (phase `package`: the deployer's settings, as the stack
 * needs them) and the CLI and the functions' cold start (phase `run`: what the caller needs), so a value the
 * package accepts is one the deployed functions accept.
 */
import { type FunctionName, SETTINGS, type Setting, settingOf } from './catalogue.ts';
import { listOf } from './rules.ts';
import { readVpcs, SINGLE_VPC_VARIABLES, VPCS_VARIABLE } from './vpcs.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** `package`: the deployer's environment at `serverless package`; `run`: the CLI or a cold start. */
export type Phase = 'package' | 'run';

/** What a caller needs: the CLI's `status` needs no VPC, `provision` does. */
export interface Needs {
  apiKeys?: 'env' | 'secret' | 'either';
  vpc?: boolean;
  /** The probe and troubleshoot functions: they need the data-plane function's name. */
  probe?: boolean;
}

/** What each deployed function needs at cold start (functions/handlers/ pass the same to loadConfig). */
export const FUNCTION_NEEDS: Readonly<Record<FunctionName, Readonly<Needs>>> = {
  reconcile: { apiKeys: 'secret', vpc: true },
  provision: { apiKeys: 'secret', vpc: true },
  probe: { apiKeys: 'secret', probe: true },
  troubleshoot: { apiKeys: 'secret', probe: true },
};

/** What the deployed stack needs of the deployer: the key pair's secret and its VPC(s). */
export const PACKAGE_NEEDS: Readonly<Needs> = { apiKeys: 'secret', vpc: true };

export interface Problem {
  /** The variables to fix. */
  readonly names: readonly string[];
  /** One sentence, no final stop, never a secret's value. */
  readonly message: string;
}

/** The value as set: trimmed, undefined when empty. */
export function setValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** The value in effect: as set, else the catalogue's default for the phase. */
export function effectiveValue(env: Env, name: string, phase: Phase = 'run'): string | undefined {
  const setting = settingOf(name);
  return setValue(env, name) ?? setting.default ?? (phase === 'package' ? setting.deployDefault : undefined);
}

/** The value in effect of a setting that has a default (so it always has a value). */
export function defaultedValue(env: Env, name: string): string {
  const value = effectiveValue(env, name);
  if (value === undefined) throw new Error(`${name} has no default in the catalogue`);
  return value;
}

/** The settings a phase reads: the deployer's at package time; the CLI's and the functions' at run time. */
export function readIn(setting: Setting, phase: Phase): boolean {
  return phase === 'package' ? setting.deploy === 'deployer' : setting.cli || setting.functions.length > 0;
}

/** The region at run time: `AWS_DEFAULT_REGION` is the AWS CLI's older name for it. */
export function regionOf(env: Env): string | undefined {
  return setValue(env, 'AWS_REGION') ?? setValue(env, 'AWS_DEFAULT_REGION');
}

const problem = (names: readonly string[], message: string): Problem => ({ names, message });

function notSet(name: string): Problem {
  const { form } = settingOf(name);
  return problem([name], `${name} is not set${form ? ` (${form})` : ''}`);
}

function keyProblems(env: Env, needs: Needs['apiKeys']): Problem[] {
  const pair = ['TIDB_CLOUD_PUBLIC_KEY', 'TIDB_CLOUD_PRIVATE_KEY'];
  const hasPair = pair.every((name) => setValue(env, name));
  const hasSecret = setValue(env, 'TIDB_CLOUD_API_KEY_SECRET_ARN') !== undefined;
  if (needs === 'secret' && !hasSecret) return [notSet('TIDB_CLOUD_API_KEY_SECRET_ARN')];
  if (needs === 'env' && !hasPair) {
    return [
      problem(
        pair,
        'TIDB_CLOUD_PUBLIC_KEY and TIDB_CLOUD_PRIVATE_KEY must both be set (your TiDB Cloud API key pair)',
      ),
    ];
  }
  if (needs === 'either' && !hasPair && !hasSecret) {
    return [
      problem(
        [...pair, 'TIDB_CLOUD_API_KEY_SECRET_ARN'],
        'set TIDB_CLOUD_PUBLIC_KEY and TIDB_CLOUD_PRIVATE_KEY, or TIDB_CLOUD_API_KEY_SECRET_ARN',
      ),
    ];
  }
  return [];
}

const listForm = (env: Env) => setValue(env, VPCS_VARIABLE) !== undefined;

/** The list form is checked whenever it is set; the short form must be complete only when a VPC is needed. */
function vpcProblems(env: Env, phase: Phase, needed: boolean | undefined): Problem[] {
  if (listForm(env)) {
    const blamed = [VPCS_VARIABLE, ...SINGLE_VPC_VARIABLES.filter((name) => setValue(env, name))];
    const region = phase === 'package' ? effectiveValue(env, 'AWS_REGION', phase) : regionOf(env);
    return readVpcs(env, region).problems.map((message) => problem(blamed, message));
  }
  if (!needed) return [];
  return [
    ...(setValue(env, 'PRIVATELINK_VPC_ID') ? [] : [notSet('PRIVATELINK_VPC_ID')]),
    ...(listOf(env.PRIVATELINK_SUBNET_IDS).length > 0 ? [] : [notSet('PRIVATELINK_SUBNET_IDS')]),
  ];
}

/** Whether a set value is the list form's business: then PRIVATELINK_VPCS's check speaks for it. */
const replacedByList = (env: Env, name: string) =>
  listForm(env) && (SINGLE_VPC_VARIABLES as readonly string[]).includes(name);

/** Each set value of the phase's settings against its rule. */
function valueProblems(env: Env, phase: Phase): Problem[] {
  return SETTINGS.filter((setting) => readIn(setting, phase) && setting.rule).flatMap((setting) => {
    const value = setValue(env, setting.name);
    if (value === undefined || replacedByList(env, setting.name) || !setting.rule) return [];
    return setting.rule(setting.name, value).map((message) => problem([setting.name], message));
  });
}

/**
 * Every problem of `env` for the phase, in the catalogue's order after the missing ones. At package time
 * `needs` is the stack's ({@link PACKAGE_NEEDS}) and the region has its deploy default.
 * @example check(process.env, 'run', { apiKeys: 'secret', vpc: true }) // [] when the cold start may go on
 */
export function check(env: Env, phase: Phase, needs: Needs = {}): Problem[] {
  const effective = phase === 'package' ? PACKAGE_NEEDS : needs;
  return [
    ...(effective.apiKeys ? keyProblems(env, effective.apiKeys) : []),
    ...(phase === 'run' && !regionOf(env) ? [notSet('AWS_REGION')] : []),
    ...vpcProblems(env, phase, effective.vpc),
    ...(effective.probe && !setValue(env, 'PRIVATELINK_DATA_PLANE_FUNCTION')
      ? [notSet('PRIVATELINK_DATA_PLANE_FUNCTION')]
      : []),
    ...valueProblems(env, phase),
  ];
}

/** Every variable a list of problems blames, each once, in order. */
export const blamed = (problems: readonly Problem[]): string[] => [
  ...new Set(problems.flatMap((item) => item.names)),
];
