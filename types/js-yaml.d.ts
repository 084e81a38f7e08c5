/**
 * The part of js-yaml 4 (a devDependency; the framework parses serverless.yml with it too) that
 * testing/iam/cfn-yaml.ts uses to read and write CloudFormation YAML with its short-form tags.
 */
declare module 'js-yaml' {
  export interface TypeOptions {
    kind: 'scalar' | 'sequence' | 'mapping';
    construct?: (data: unknown) => unknown;
  }
  export class Type {
    constructor(tag: string, options: TypeOptions);
  }
  export class Schema {
    extend(types: Type[]): Schema;
  }
  export const DEFAULT_SCHEMA: Schema;
  export function load(text: string, options?: { schema?: Schema; filename?: string }): unknown;
  export function dump(
    value: unknown,
    options?: { indent?: number; lineWidth?: number; noRefs?: boolean; quotingType?: "'" | '"' },
  ): string;
}
