/**
 * globalSetup of the `sandbox` vitest project: one moto server for the whole run, stopped at the end (also
 * when tests fail). Tests read the endpoint with `inject('awsEndpointUrl')` (see testing/moto-world.ts);
 * the SDK's own variables are exported too, for code under test that builds clients from the environment.
 */
import type { TestProject } from 'vitest/node';
import { startMoto } from '../../scripts/sandbox/moto.ts';
import { warmRoles } from '../../testing/iam/roles.ts';
import { sandboxPrincipals } from '../../testing/iam/sandbox-roles.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpointUrl: string;
    awsRegion: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const moto = await startMoto();
  const region = 'us-east-1';
  // Dummy credentials: moto accepts anything, and real ones must never reach a test process.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpointUrl,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // Node 20 is what CI runs today; the SDK's per-process deprecation notice only clutters test output.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // The packaged roles the suites run under (testing/iam), packaged before any suite starts so none waits
  // for `serverless package` (about 20 s each, then cached on disk): the suites' shared package, and the
  // local world's (a VPC of three subnets and one group; only the shape matters).
  await sandboxPrincipals();
  await warmRoles([
    [
      {
        vpcId: 'vpc-01',
        subnetIds: ['subnet-010', 'subnet-011', 'subnet-012'],
        securityGroupIds: ['sg-010'],
      },
    ],
  ]);
  project.provide('awsEndpointUrl', moto.endpointUrl);
  project.provide('awsRegion', region);
  if (process.env.SANDBOX_VERBOSE) {
    process.stderr.write(`moto ready at ${moto.endpointUrl} in ${Date.now() - started} ms\n`);
  }
  return () => moto.stop();
}
