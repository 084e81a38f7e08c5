/**
 * The floor under section 6's figures: what a function's typical invocation must load however our code is
 * arranged (the SDK clients it calls, Powertools Logger and Metrics, middy), as a module that only imports
 * them and constructs nothing, built with the options of serverless.yml's esbuild block and the plugins of
 * esbuild-plugins.cjs. Its import time is what no deferring of ours can go under.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const COMMON = [
  "export { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
  "export { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';",
  "export { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
  "export { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';",
  "export { Logger } from '@aws-lambda-powertools/logger';",
  "export { Metrics } from '@aws-lambda-powertools/metrics';",
  "export { default as middy } from '@middy/core';",
];

/** Per floor, the imports: the reconcile's (EC2, its table, the API key's secret), and the probe's too. */
const FLOORS: Record<string, string[]> = {
  'reconcile: EC2, DynamoDB, Secrets Manager': [
    "export { EC2Client, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';",
    ...COMMON,
  ],
  'probe: the same, EventBridge, Lambda': [
    "export { EC2Client, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';",
    "export { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';",
    "export { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';",
    ...COMMON,
  ],
};

/** Builds each floor module into .tmp/cold-start-floor/; returns each one's name and entry file. */
export async function buildFloors(): Promise<{ name: string; entry: string }[]> {
  const folder = join(ROOT, '.tmp', 'cold-start-floor');
  rmSync(folder, { recursive: true, force: true });
  const serverless = { config: { serviceDir: ROOT } };
  const plugins: Plugin[] = createRequire(import.meta.url)(join(ROOT, 'esbuild-plugins.cjs'))(serverless);
  // Chunk names and moved source maps concern serverless-esbuild's folder layout, not what is loaded.
  const used = plugins.filter(
    (plugin) => !['function-chunks', 'source-maps-beside-the-zips'].includes(plugin.name),
  );
  return Promise.all(
    Object.entries(FLOORS).map(async ([name, lines], index) => {
      const outdir = join(folder, `floor-${index}`);
      mkdirSync(outdir, { recursive: true });
      const source = join(outdir, 'floor.ts');
      writeFileSync(source, `${lines.join('\n')}\n`);
      await build({
        entryPoints: { index: source },
        outdir,
        // serverless.yml's esbuild block.
        bundle: true,
        minify: true,
        keepNames: true,
        target: 'node20',
        platform: 'node',
        mainFields: ['module', 'main'],
        format: 'esm',
        outExtension: { '.js': '.mjs' },
        splitting: true,
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
        plugins: used,
        logLevel: 'error',
      });
      return { name, entry: join(outdir, 'index.mjs') };
    }),
  );
}
