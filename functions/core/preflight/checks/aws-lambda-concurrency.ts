import { lambdaConcurrencyLow } from '../../remediation.ts';
import { messageOf, type PreflightCheck } from './types.ts';

/**
 * How many executions the stack runs at once in steady state, from the template: the reconcile (one at a
 * time, by its lease), the scheduled probe and a troubleshoot run, each with one data-plane call. Bursts come
 * on top: a provision per newly detected cluster and a probe per endpoint turning Ready (the whole-stack
 * bench, every cluster created at the same moment, peaks at 3 executions for 10 clusters, 21 for 50 and 57
 * for 100). Those are asynchronous invocations, which Lambda retries when throttled, so they run late, not
 * never; the steady state is what must fit.
 */
export const STACK_PEAK_CONCURRENCY = 5;

/**
 * The account's Lambda concurrency in this region (GetAccountSettings): the stack reserves none, so it shares
 * what is unreserved; below its peak some ticks and events are throttled. A warning, never a failure: the
 * stack deploys and works, later.
 */
export const awsLambdaConcurrency: PreflightCheck = {
  id: 'aws.lambda-concurrency',
  dependsOn: [{ id: 'aws.credentials' }],
  async run({ ports, settings, signal }) {
    const needed = STACK_PEAK_CONCURRENCY;
    let limit: number;
    let unreserved: number;
    try {
      ({ limit, unreserved } = await ports.lambda.concurrency({ signal }));
    } catch (error) {
      return {
        status: 'warn',
        summary: `Lambda's account settings could not be read (${messageOf(error)}): the stack needs ${needed} concurrent executions at its steady peak.`,
        evidence: { needed },
      };
    }
    const evidence = { limit, unreserved, needed };
    if (unreserved < needed) {
      return {
        status: 'warn',
        summary: `Only ${unreserved} of the account's ${limit} Lambda concurrent executions are unreserved in ${settings.region}, fewer than the ${needed} the stack runs at once at its steady peak.`,
        evidence,
        remediation: lambdaConcurrencyLow(settings.region, limit, needed),
      };
    }
    return {
      status: 'pass',
      summary: `${unreserved} of the account's ${limit} Lambda concurrent executions are unreserved; the stack reserves none and runs up to ${needed} at once at its steady peak.`,
      evidence,
    };
  },
};
