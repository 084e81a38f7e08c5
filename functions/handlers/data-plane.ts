import { LocalDataPlane } from '../adapters/dataplane/local-data-plane.ts';
import { lambdaLogger } from '../app/cold-start.ts';
import { createDataPlaneHandler } from '../app/diagnostics.ts';

// Attached to the customer VPC with no route out: it reads no configuration and calls no AWS API.
export const handler = createDataPlaneHandler(new LocalDataPlane(), lambdaLogger());
