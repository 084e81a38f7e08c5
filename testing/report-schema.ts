/**
 * Validates reports against schema/diagnostic-report.schema.json and events against
 * schema/events/<detail-type>.schema.json, with ajv (draft 2020-12 + formats).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as formatsModule from 'ajv-formats';

const SCHEMA_DIR = new URL('../schema/', import.meta.url);
const read = (url: URL): object => JSON.parse(readFileSync(url, 'utf8')) as object;

const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS: under NodeNext the default import may be the module object itself.
const addFormats = (formatsModule.default ?? formatsModule) as unknown as (instance: Ajv2020) => Ajv2020;
addFormats(ajv);
const validate = ajv.compile(read(new URL('diagnostic-report.schema.json', SCHEMA_DIR)));

/** The file name of a detail type's schema: kebab case, e.g. `privatelink-endpoint-ready.schema.json`. */
export function eventSchemaFile(detailType: string): string {
  return `${detailType.toLowerCase().replace(/ /g, '-')}.schema.json`;
}

const EVENTS_DIR = new URL('events/', SCHEMA_DIR);
/** Every event schema in schema/events/, by file name. */
export const EVENT_SCHEMA_FILES = readdirSync(EVENTS_DIR).filter((name) => name.endsWith('.schema.json'));
const eventValidators = new Map(
  EVENT_SCHEMA_FILES.map((name) => [name, ajv.compile(read(new URL(name, EVENTS_DIR)))]),
);

const messages = (errors: typeof validate.errors) =>
  (errors ?? []).map((error) => `${error.instancePath} ${error.message}`);

/** The schema violations of `report` after a JSON round trip (what consumers see); empty when valid. */
export function schemaErrors(report: unknown): string[] {
  const valid = validate(JSON.parse(JSON.stringify(report)));
  return valid ? [] : messages(validate.errors);
}

/** The violations of a whole EventBridge event against the schema of its `detail-type`. */
export function eventSchemaErrors(event: Record<string, unknown>): string[] {
  const file = eventSchemaFile(String(event['detail-type']));
  const check = eventValidators.get(file);
  if (!check) return [`no schema/events/${file} for detail-type "${String(event['detail-type'])}"`];
  return check(JSON.parse(JSON.stringify(event))) ? [] : messages(check.errors);
}
