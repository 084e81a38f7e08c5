/**
 * The data-plane Lambda in a child process (started by lambda-child.ts): the production handler factory over
 * the loopback data plane, its TCP behind the VPC stand-in's packet filter. A child cannot read the parent's
 * EC2 fake, so the parent hands over a snapshot of the rules in front of each ENI address.
 * Environment: DATA_PLANE_RULES (`{address: SecurityGroupRule[]}`, or a file named by DATA_PLANE_RULES_FILE), SOURCE_CIDR, FUNCTION_TIMEOUTS_S (JSON).
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { budgetsFor, type FunctionTimeouts } from '../functions/app/budgets.ts';
import { createDataPlaneHandler } from '../functions/app/diagnostics.ts';
import type { SecurityGroupRule } from '../functions/core/model.ts';
import { serveLambda } from './lambda-child.ts';
import { loopbackDataPlane } from './local-servers.ts';
import { filteredProber } from './vpc-stand-in.ts';

// DATA_PLANE_RULES_FILE: the same JSON in a file, for worlds too large for one environment variable.
const rulesFile = process.env.DATA_PLANE_RULES_FILE;
const rulesJson = rulesFile ? readFileSync(rulesFile, 'utf8') : (process.env.DATA_PLANE_RULES ?? '{}');
const rules = JSON.parse(rulesJson) as Record<string, SecurityGroupRule[]>;
const timeouts = JSON.parse(process.env.FUNCTION_TIMEOUTS_S ?? '') as FunctionTimeouts;
const prober = filteredProber((address) => rules[address], process.env.SOURCE_CIDR ?? '');

serveLambda(
  createDataPlaneHandler(
    loopbackDataPlane(prober),
    new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' }),
    budgetsFor(timeouts),
  ),
);
