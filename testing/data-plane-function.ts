/**
 * The data-plane Lambda in a child process (started by lambda-child.ts): the production handler factory over
 * the loopback data plane, its TCP behind the VPC stand-in's packet filter. A child cannot read the parent's
 * EC2 fake, so the parent hands over a snapshot of the rules in front of each ENI address.
 * Environment: DATA_PLANE_RULES (`{address: SecurityGroupRule[]}`), SOURCE_CIDR, FUNCTION_TIMEOUTS_S (JSON).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { budgetsFor, type FunctionTimeouts } from '../functions/app/budgets.ts';
import { createDataPlaneHandler } from '../functions/app/diagnostics.ts';
import type { SecurityGroupRule } from '../functions/core/model.ts';
import { serveLambda } from './lambda-child.ts';
import { loopbackDataPlane } from './local-servers.ts';
import { filteredProber } from './vpc-stand-in.ts';

const rules = JSON.parse(process.env.DATA_PLANE_RULES ?? '{}') as Record<string, SecurityGroupRule[]>;
const timeouts = JSON.parse(process.env.FUNCTION_TIMEOUTS_S ?? '') as FunctionTimeouts;
const prober = filteredProber((address) => rules[address], process.env.SOURCE_CIDR ?? '');

serveLambda(
  createDataPlaneHandler(
    loopbackDataPlane(prober),
    new Logger({ serviceName: 'tidb-privatelink', logLevel: 'SILENT' }),
    budgetsFor(timeouts),
  ),
);
