/**
 * Regenerates the settings table in docs/configuration.md from the catalogue (functions/settings/):
 * `npm run docs:settings`. With `--check` it changes nothing and exits 1 when the file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../functions/settings/index.ts';

const file = new URL('../docs/configuration.md', import.meta.url);
const current = readFileSync(file, 'utf8');
const generated = withSettingsTable(current);
if (process.argv.includes('--check')) {
  if (generated !== current) {
    process.stderr.write('docs/configuration.md is out of date: run npm run docs:settings.\n');
    process.exitCode = 1;
  }
} else if (generated !== current) {
  writeFileSync(file, generated);
  process.stdout.write('docs/configuration.md: settings table regenerated.\n');
}
