/**
 * `tsx testing/iam/replay-cli.ts <record dir>`, after suites run with `TIDB_PRIVATELINK_IAM_RECORD=<record dir>`:
 * prints each role's statements with the recorded request that needs each one (or iam.yml's reason), and
 * exits 1 when a statement is neither needed nor justified.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { justificationsIn, perStatement, readRecord, replay, unjustified } from './replay.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write(
    'usage: tsx testing/iam/replay-cli.ts <record dir> (the suites ran with TIDB_PRIVATELINK_IAM_RECORD=<record dir>)\n',
  );
  process.exit(2);
}
const iamYml = readFileSync(fileURLToPath(new URL('../../iam.yml', import.meta.url)), 'utf8');
const verdicts = perStatement(await replay(readRecord(dir), justificationsIn(iamYml)));
for (const verdict of verdicts) {
  const why = verdict.witness
    ? `needed: without it, ${verdict.witness.action} on ${verdict.witness.resource} is denied`
    : verdict.justification
      ? `not exercised: ${verdict.justification}`
      : 'NOT NEEDED by any recorded request and not listed in iam.yml unexercisedBySuites';
  process.stdout.write(`${verdict.owner}\t${verdict.statement}\t${verdict.actions.join(',')}\t${why}\n`);
}
const missing = unjustified(verdicts);
process.stdout.write(`${verdicts.length} statements, ${missing.length} neither needed nor justified\n`);
process.exit(missing.length > 0 ? 1 : 0);
