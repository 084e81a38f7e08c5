/**
 * Validates JSON against the definitions of the real Dedicated API swagger (TiDB Cloud's published
 * `dedicated.swagger.json`, copied beside this file so the tests need nothing outside the repository).
 * Swagger 2.0 definitions are JSON Schema draft-4 with extras; ajv reads them once `x-nullable`, `example`
 * and friends are tolerated, int32/int64 are taught as formats, and, so that the simulator cannot invent
 * fields the real API lacks, every object that lists its properties is closed.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import * as formatsModule from 'ajv-formats';

type Schema = Record<string, unknown>;

interface Swagger {
  definitions: Record<string, Schema>;
}

export const SWAGGER_PATH = new URL('./dedicated.swagger.json', import.meta.url);

/** The swagger's own definition names for the responses the simulator serves. */
export const DEFINITIONS = {
  cluster: 'tidb_cloud_open_apidedicatedv1beta1Cluster',
  listClusters: 'tidb_cloud_open_apidedicatedv1beta1ListClustersResponse',
  nodeGroup: 'dedicatedv1beta1TidbNodeGroup',
  listNodeGroups: 'dedicatedv1beta1ListTidbNodeGroupsResponse',
  privateLinkService: 'dedicatedv1beta1PrivateLinkService',
  connection: 'dedicatedv1beta1PrivateEndpointConnection',
  listConnections: 'dedicatedv1beta1ListPrivateEndpointConnectionsResponse',
  error: 'googlerpcStatus',
} as const;

/** Recursively closes object schemas (`additionalProperties: false`) that declare properties. */
function closeObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closeObjects);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([key, inner]) => [key, closeObjects(inner)] as const);
  const schema: Schema = Object.fromEntries(entries);
  if (typeof schema.properties === 'object' && schema.additionalProperties === undefined) {
    schema.additionalProperties = false;
  }
  return schema;
}

function addFormats(ajv: Ajv): void {
  // ajv-formats is CommonJS: under NodeNext the default import may be the module object.
  const candidate: unknown = formatsModule.default ?? formatsModule;
  const plugin = candidate as (ajv: Ajv) => Ajv;
  plugin(ajv);
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  // grpc-gateway writes int64 as a decimal string.
  ajv.addFormat('int64', { type: 'string', validate: (s: string) => /^-?\d+$/.test(s) });
  ajv.addFormat('uint64', { type: 'string', validate: (s: string) => /^\d+$/.test(s) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('float', { type: 'number', validate: () => true });
}

export interface SwaggerValidator {
  /** Error strings (empty when valid) for `data` against `#/definitions/<definition>`. */
  errors(definition: string, data: unknown): string[];
}

function readSwagger(): Swagger {
  return JSON.parse(readFileSync(SWAGGER_PATH, 'utf8')) as Swagger;
}

/** The values of one of the swagger's enums (the spec's, not our model's). */
export function swaggerEnum(name: string): string[] {
  const values = readSwagger().definitions[name]?.enum;
  if (!Array.isArray(values)) throw new Error(`the swagger has no enum ${name}`);
  return values.map(String);
}

export function swaggerValidator(): SwaggerValidator {
  const swagger = readSwagger();
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'swagger', definitions: closeObjects(swagger.definitions) }, 'swagger');
  const cache = new Map<string, ValidateFunction>();
  return {
    errors(definition, data) {
      let validate = cache.get(definition);
      if (!validate) {
        const compiled = ajv.getSchema(`swagger#/definitions/${definition}`);
        if (!compiled) throw new Error(`no definition ${definition} in the swagger`);
        validate = compiled;
        cache.set(definition, validate);
      }
      if (validate(data)) return [];
      return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
    },
  };
}
