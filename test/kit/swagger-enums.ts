/** The real TiDB Cloud swagger's enums, read from the copy beside the simulator (the spec, not our model). */
import { readFileSync } from 'node:fs';

const swagger = JSON.parse(
  readFileSync(new URL('./tidbcloud-simulator/dedicated.swagger.json', import.meta.url), 'utf8'),
) as { definitions: Record<string, { enum?: string[] }> };

export function swaggerEnum(name: string): string[] {
  const values = swagger.definitions[name]?.enum;
  if (!values) throw new Error(`the swagger has no enum ${name}`);
  return values;
}
