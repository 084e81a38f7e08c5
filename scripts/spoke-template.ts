/**
 * Rewrites the generated blocks of spoke/template.yml (the spoke role's trust and policies, the data plane's
 * network-interface policy) from the hub's statements: `npm run spoke:template`. It runs `serverless package`
 * offline (about 20 s); test/integration/spoke/template.test.ts fails when the template is out of date.
 */
import { rm, writeFile } from 'node:fs/promises';
import { currentSpokeTemplate, packageHubForSpoke, SPOKE_TEMPLATE } from '../testing/iam/spoke-policies.ts';

const hub = await packageHubForSpoke();
try {
  await writeFile(SPOKE_TEMPLATE, await currentSpokeTemplate(hub));
  process.stdout.write('spoke/template.yml regenerated.\n');
} finally {
  await rm(hub.dir, { recursive: true, force: true });
}
