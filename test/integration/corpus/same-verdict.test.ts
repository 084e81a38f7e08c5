/**
 * Package time and cold start agree: every `env` case of the bad-input corpus, as a deployer's environment, is
 * given to the package-time resolver (settings.cjs, in-process, the settings module bundled by esbuild as
 * `serverless package` bundles it) and to each deployed function's cold start (loadConfig with that
 * function's needs, on the environment the template gives it). Both accept it, or both refuse it blaming the
 * same variables: a value `serverless package` accepts can no longer fail the first invocation.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/config.ts';
import { ConfigError } from '../../../functions/core/errors.ts';
import {
  deploySettings,
  FUNCTION_NEEDS,
  type FunctionName,
  SETTINGS,
} from '../../../functions/settings/index.ts';
import { BASE_ENV, type EnvCase, loadCorpus, withOverrides } from './cases.ts';

const { resolveSettings } = createRequire(import.meta.url)('../../../settings.cjs') as {
  resolveSettings: (env: Record<string, string | undefined>) => Record<string, string>;
};

/** The deployer's environment: the corpus's, with the secret the deployed stack reads its key pair from. */
const DEPLOYER = {
  ...BASE_ENV,
  TIDB_CLOUD_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tidb-cloud-api-key',
};

/** What the template sets itself (resource names and ids), as a deployed stack has them. */
const FROM_TEMPLATE: Record<string, string> = {
  PRIVATELINK_STATE_TABLE: 'tidb-privatelink-dev-StateTable-1ABC',
  PRIVATELINK_DATA_PLANE_FUNCTION: 'tidb-privatelink-dev-dataPlane',
  PRIVATELINK_PROBE_SECURITY_GROUP_IDS: 'sg-0ddd4444',
};

const FUNCTIONS = Object.keys(FUNCTION_NEEDS) as FunctionName[];
const PROBE_SUBNETS = 'PRIVATELINK_PROBE_SUBNET_IDS';

/**
 * A function's environment as serverless.yml builds it from the resolver's values: each deployer setting the
 * function reads (its default applied, Lambda's region being the stack's) and the template's own values.
 */
function functionEnvironment(fn: FunctionName, deployer: Record<string, string>): Record<string, string> {
  const { values } = deploySettings(deployer);
  const env: Record<string, string> = {};
  for (const setting of SETTINGS.filter((item) => item.functions.includes(fn))) {
    const value = setting.deploy === 'deployer' ? values[setting.name] : FROM_TEMPLATE[setting.name];
    if (value) env[setting.name] = value;
  }
  // The probe subnets default to the endpoint subnets in the short form (the list form's plugin drops the
  // default: each data plane runs in its own VPC's subnets).
  const derived = PROBE_SUBNETS in env || values.PRIVATELINK_VPCS ? '' : (values.probeSubnetIds ?? '');
  if (derived && SETTINGS.some((item) => item.name === PROBE_SUBNETS && item.functions.includes(fn)))
    env[PROBE_SUBNETS] = derived;
  return env;
}

/** The variable a deployer fixes for a blamed one: a derived default's problem is its source's. */
const sourceOf = (name: string, deployer: Record<string, string>) =>
  name === PROBE_SUBNETS && !deployer[PROBE_SUBNETS]?.trim() ? 'PRIVATELINK_SUBNET_IDS' : name;

/** The catalogue's variables a message names, in the catalogue's order. */
const namedIn = (message: string): string[] =>
  SETTINGS.map((item) => item.name).filter((name) =>
    new RegExp(`(?<![A-Z_])${name}(?![A-Z_])`).test(message),
  );

function packageVerdict(deployer: Record<string, string>): string[] {
  try {
    resolveSettings(deployer);
    return [];
  } catch (error) {
    return namedIn((error as Error).message);
  }
}

/** Every variable any function's cold start blames (none: every function starts). */
function coldStartVerdict(deployer: Record<string, string>): string[] {
  const blamed = new Set<string>();
  for (const fn of FUNCTIONS) {
    try {
      loadConfig(functionEnvironment(fn, deployer), FUNCTION_NEEDS[fn]);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const name of namedIn(error.message)) blamed.add(sourceOf(name, deployer));
    }
  }
  return SETTINGS.map((item) => item.name).filter((name) => blamed.has(name));
}

const cases = loadCorpus().filter((c): c is Extract<typeof c, EnvCase> => c.kind === 'env');
const verdicts = cases.map((testCase) => {
  const deployer = withOverrides(DEPLOYER, testCase.env);
  return { name: testCase.name, packaged: packageVerdict(deployer), started: coldStartVerdict(deployer) };
});

describe('package time and cold start give every corpus environment the same verdict', () => {
  it.each(verdicts.map((verdict) => [verdict.name, verdict] as const))('%s', (_name, verdict) => {
    expect(verdict.started).toEqual(verdict.packaged);
  });

  it('the corpus has environments both refuse and environments both accept', () => {
    expect(verdicts.filter((verdict) => verdict.packaged.length > 0).length).toBeGreaterThanOrEqual(10);
    expect(verdicts.filter((verdict) => verdict.packaged.length === 0).length).toBeGreaterThanOrEqual(3);
  });

  it('the valid deployer environment itself packages and starts every function', () => {
    expect(packageVerdict(DEPLOYER)).toEqual([]);
    expect(coldStartVerdict(DEPLOYER)).toEqual([]);
  });

  it('the handlers pass loadConfig the needs the test gives each function', () => {
    for (const fn of FUNCTIONS) {
      const source = readFileSync(new URL(`../../../functions/handlers/${fn}.ts`, import.meta.url), 'utf8');
      const literal = /loadConfig\(process\.env, (\{[^}]*\})\)/.exec(source)?.[1] ?? 'none';
      const needs = JSON.parse(literal.replace(/(\w+):/g, '"$1":').replaceAll("'", '"')) as unknown;
      expect(needs, fn).toEqual(FUNCTION_NEEDS[fn]);
    }
  });
});
