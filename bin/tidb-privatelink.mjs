#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so the command works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../functions/cli/bin.ts');
process.exitCode = await main(process.argv.slice(2));
