/**
 * CloudFormation YAML: its short-form tags (`!Ref`, `!Sub`, `!If`, …) read as the long form (`{ Ref: … }`,
 * `{ 'Fn::Sub': … }`), the way CloudFormation itself reads them, so a template kept as YAML in the repository
 * (spoke/template.yml) can be evaluated and checked like the packaged JSON one.
 */
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';

/** `!GetAtt A.B` is the scalar form of `Fn::GetAtt: [A, B]`. */
const getAttOf = (data: unknown) =>
  typeof data === 'string' ? data.split('.', 2) : (data as unknown as string[]);

const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub'];
const CONDITIONS = ['And', 'Equals', 'If', 'Not', 'Or'];

function tagsOf(name: string, key: string, construct: (data: unknown) => unknown = (data) => data) {
  return (['scalar', 'sequence', 'mapping'] as const).map(
    (kind) => new yaml.Type(`!${name}`, { kind, construct: (data) => ({ [key]: construct(data) }) }),
  );
}

const SCHEMA = yaml.DEFAULT_SCHEMA.extend([
  ...tagsOf('Ref', 'Ref'),
  ...tagsOf('Condition', 'Condition'),
  ...tagsOf('GetAtt', 'Fn::GetAtt', getAttOf),
  ...[...FUNCTIONS, ...CONDITIONS].flatMap((name) => tagsOf(name, `Fn::${name}`)),
]);

export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: string; [key: string]: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; [key: string]: unknown }>;
  Outputs?: Record<string, { Value: unknown; Condition?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** A CloudFormation template in YAML (short-form tags allowed), in its long JSON form. */
export function parseCfnYaml(text: string, filename = 'template.yml'): CfnTemplate {
  return yaml.load(text, { schema: SCHEMA, filename }) as CfnTemplate;
}

export async function readCfnYaml(file: string): Promise<CfnTemplate> {
  return parseCfnYaml(await readFile(file, 'utf8'), file);
}

/** YAML text of a plain value (long-form intrinsics), for a generated part of a template. */
export function dumpYaml(value: unknown): string {
  return yaml.dump(value, { indent: 2, lineWidth: 120, noRefs: true });
}
