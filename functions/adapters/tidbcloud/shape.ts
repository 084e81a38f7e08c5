/**
 * The shape checks of TiDB Cloud answers, before mapping. Mapping is lenient about what the API may omit
 * (grpc-gateway leaves empty fields out), but a field that is there with the wrong type, an id that is a
 * number (silently rounded beyond 2^53) or a 200 that carries an error must stop the run with one sentence,
 * not act on a misread.
 */

/** What is wrong with an answer, in a clause ("clusters[3].clusterId is not a string of digits"). */
export class ApiShapeError extends Error {
  override readonly name = 'ApiShapeError';
}

type Rule = 'id' | 'string' | 'number' | 'boolean' | 'strings' | 'object' | Shape | [Shape];
interface Shape {
  [field: string]: Rule;
}

const DIGITS = /^\d{1,24}$/;

const NODE_GROUP: Shape = { tidbNodeGroupId: 'id', displayName: 'string', isDefaultGroup: 'boolean' };
const SHAPES = {
  cluster: {
    clusterId: 'id',
    displayName: 'string',
    regionId: 'string',
    cloudProvider: 'string',
    state: 'string',
    port: 'number',
    labels: 'object',
    tidbNodeSetting: { tidbNodeGroups: [NODE_GROUP] },
  },
  nodeGroup: NODE_GROUP,
  privateLinkService: {
    serviceName: 'string',
    serviceDnsName: 'string',
    availableZones: 'strings',
    state: 'string',
    regionId: 'string',
  },
  connection: {
    privateEndpointConnectionId: 'id',
    clusterId: 'id',
    tidbNodeGroupId: 'id',
    endpointId: 'string',
    endpointState: 'string',
    message: 'string',
    port: 'number',
  },
} satisfies Record<string, Shape>;

/** Fields every item of a kind must carry: without them there is nothing to act on. */
const REQUIRED: Partial<Record<ShapeKind, string[]>> = { cluster: ['clusterId'] };

export type ShapeKind = keyof typeof SHAPES;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeProblem(value: unknown, rule: Exclude<Rule, Shape | [Shape]>): string | undefined {
  switch (rule) {
    case 'id':
      return typeof value === 'string' && DIGITS.test(value) ? undefined : 'is not a string of digits';
    case 'strings':
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? undefined
        : 'is not a list of strings';
    case 'object':
      return isRecord(value) ? undefined : 'is not an object';
    default:
      return typeof value === rule ? undefined : `is not a ${rule}`;
  }
}

function check(value: unknown, shape: Shape, path: string): void {
  if (!isRecord(value)) throw new ApiShapeError(`${path} is not an object`);
  for (const [field, rule] of Object.entries(shape)) {
    const inner = value[field];
    // A null or missing field is "not set" in grpc-gateway's JSON.
    if (inner === undefined || inner === null) continue;
    const where = `${path}.${field}`;
    if (Array.isArray(rule)) {
      if (!Array.isArray(inner)) throw new ApiShapeError(`${where} is not a list`);
      inner.forEach((item, index) => {
        check(item, rule[0], `${where}[${index}]`);
      });
    } else if (typeof rule === 'object') {
      check(inner, rule, where);
    } else {
      const problem = typeProblem(inner, rule);
      if (problem) throw new ApiShapeError(`${where} ${problem}`);
    }
  }
}

function checkItem(value: unknown, kind: ShapeKind, path: string): void {
  check(value, SHAPES[kind], path);
  for (const field of REQUIRED[kind] ?? []) {
    if ((value as Record<string, unknown>)[field] === undefined)
      throw new ApiShapeError(`${path}.${field} is missing`);
  }
}

/** google.rpc.Status `{code, message}` where a resource was expected: an error dressed as a success. */
function rpcErrorIn(body: Record<string, unknown>, key: string | undefined): string | undefined {
  const looksLikeStatus = typeof body.code === 'number' && typeof body.message === 'string';
  const hasResource = key ? key in body : 'clusterId' in body || 'state' in body || 'endpointId' in body;
  return looksLikeStatus && !hasResource ? String(body.message) : undefined;
}

/**
 * Checks a single resource (`key` undefined) or a list page whose items are under `key`.
 * @throws ApiShapeError naming the first field that is wrong
 */
export function checkAnswer(body: unknown, kind: ShapeKind, key?: string): void {
  if (!isRecord(body)) throw new ApiShapeError('the body is not a JSON object');
  const rpcError = rpcErrorIn(body, key);
  if (rpcError !== undefined) throw new ApiShapeError(`the body is an error ("${rpcError}")`);
  if (key === undefined) {
    checkItem(body, kind, kind);
    return;
  }
  const items = body[key];
  if (items !== undefined && items !== null && !Array.isArray(items))
    throw new ApiShapeError(`${key} is not a list`);
  (Array.isArray(items) ? items : []).forEach((item, index) => {
    checkItem(item, kind, `${key}[${index}]`);
  });
  if (
    body.nextPageToken !== undefined &&
    body.nextPageToken !== null &&
    typeof body.nextPageToken !== 'string'
  )
    throw new ApiShapeError('nextPageToken is not a string');
}
