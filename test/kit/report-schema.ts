/** Validates reports against schema/diagnostic-report.schema.json with ajv (draft 2020-12 + formats). */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as formatsModule from 'ajv-formats';

const schema: unknown = JSON.parse(
  readFileSync(new URL('../../schema/diagnostic-report.schema.json', import.meta.url), 'utf8'),
);

const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS: under NodeNext the default import may be the module object itself.
const addFormats = (formatsModule.default ?? formatsModule) as unknown as (instance: Ajv2020) => Ajv2020;
addFormats(ajv);
const validate = ajv.compile(schema as object);

/** The schema violations of `report` after a JSON round trip (what consumers see); empty when valid. */
export function schemaErrors(report: unknown): string[] {
  const valid = validate(JSON.parse(JSON.stringify(report)));
  return valid ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}
