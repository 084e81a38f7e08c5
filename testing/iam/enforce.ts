/**
 * IAM in front of the test kit's AWS stand-ins: every call a function makes is first decided by the policy
 * engine against that function's packaged role (or an operator policy, for the CLI), and a denied call fails
 * as AWS answers it, before the stand-in sees it. Decisions are cached (the same role and request always get
 * the same answer) and every distinct one is recorded, for the statement-removal replay (testing/iam/replay).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AwsError } from '../../functions/core/errors.ts';
import type { AppEvent, CallOptions, EventsPort, ProvisioningEc2Port } from '../../functions/core/ports.ts';
import type { Ec2Fake, Ec2Operation } from '../ec2-fake.ts';
import { ACCOUNT, type AwsRequest, type Decision, REGION, type Role, simulate } from '../iam-engine.ts';
import { type Ec2State, ec2RequestsOf, type PortCall } from './ec2-requests.ts';

/** How each service words a refusal (the SDK's error name and the start of its message). */
export type Protocol = 'ec2' | 'json' | 'query';

/** One distinct decision, as recorded for the replay. */
export interface RecordedDecision {
  /** Who asked: a function name (`reconcile`, …) or an operator policy. */
  principal: string;
  role: Role;
  request: AwsRequest;
  decision: Decision;
}

const decisions = new Map<string, Promise<{ decision: Decision; request: AwsRequest }>>();
let pending = 0;

/**
 * Decisions being evaluated now (a first request of its kind): real time, for a discrete-event clock that
 * must not jump ahead while a call waits for IAM (testing/stack-sim.ts), as no AWS call waits for it in truth.
 */
export function decisionsPending(): number {
  return pending;
}
const RECORD_DIR = process.env.TIDB_PRIVATELINK_IAM_RECORD;

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** Appends a decision to this process's record file (only when recording is asked for). */
function record(entry: RecordedDecision): void {
  if (!RECORD_DIR) return;
  mkdirSync(RECORD_DIR, { recursive: true });
  appendFileSync(join(RECORD_DIR, `${process.pid}.jsonl`), `${JSON.stringify(entry)}\n`);
}

/** The request as AWS evaluates it: context keys that do not apply to the action and resource left out. */
async function decideOnce(principal: string, role: Role, request: AwsRequest, recorded: boolean) {
  const { decision, ignoredContextKeys } = await simulate(role, request);
  const context = Object.fromEntries(
    Object.entries(request.context ?? {}).filter(([key]) => !ignoredContextKeys.includes(key)),
  );
  const evaluated = { ...request, context };
  if (recorded) record({ principal, role, request: evaluated, decision });
  return { decision, request: evaluated };
}

/** AWS's refusal, worded as the service words it. */
function denial(protocol: Protocol, role: Role, request: AwsRequest): AwsError {
  const user = role.principal.replace(/:iam::(\d+):role\//, ':sts::$1:assumed-role/');
  const why = `User: ${user}/session is not authorized to perform: ${request.action} on resource: ${request.resource} because no identity-based policy allows the ${request.action} action`;
  switch (protocol) {
    case 'ec2':
      return new AwsError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${why}`,
        {
          fault: 'client',
        },
      );
    case 'json':
      return new AwsError('AccessDeniedException', why, { fault: 'client' });
    case 'query':
      return new AwsError('AccessDenied', why, { fault: 'client' });
  }
}

/**
 * One principal's authority: a function's packaged role or an operator policy. `recorded: false` keeps its
 * decisions out of the replay's record: for a policy the package does not ship (a test's copy of one).
 */
export class Authorizer {
  readonly #roleHash: string;

  constructor(
    readonly principal: string,
    readonly role: Role,
    private readonly options: { recorded: boolean } = { recorded: true },
  ) {
    this.#roleHash = `${hashOf(role)}\0${options.recorded}`;
  }

  /** Resolves when IAM allows every request; otherwise throws the service's refusal for the first denied. */
  async authorize(protocol: Protocol, requests: AwsRequest[]): Promise<void> {
    const answers = await Promise.all(requests.map((request) => this.#decide(request)));
    const denied = answers.find((answer) => answer.decision !== 'Allowed');
    if (denied) throw denial(protocol, this.role, denied.request);
  }

  #decide(request: AwsRequest) {
    const key = `${this.#roleHash}\0${JSON.stringify(request)}`;
    let answer = decisions.get(key);
    if (!answer) {
      pending += 1;
      answer = decideOnce(this.principal, this.role, request, this.options.recorded).finally(() => {
        pending -= 1;
      });
      decisions.set(key, answer);
    }
    return answer;
  }
}

const current = new AsyncLocalStorage<{ authorizer: Authorizer; call: PortCall }>();

/**
 * The EC2 fake's `authorize` hook: decides the call a function's view is making (see `enforcedEc2`); calls
 * made on the fake itself (world building, a test's own look) are not a function's and pass.
 */
export function authorizeEc2Call(state: () => Ec2State): (operation: Ec2Operation) => Promise<void> {
  return async (operation) => {
    const caller = current.getStore();
    if (!caller) return;
    await caller.authorizer.authorize('ec2', ec2RequestsOf(operation, caller.call, state()));
  };
}

/**
 * One function's view of the shared EC2 fake: the same state, every call authorised against its role by the
 * fake's `authorize` hook (which must be `authorizeEc2Call`). Everything else (counters, world building) is
 * the fake's own.
 */
export function enforcedEc2<T extends Ec2Fake>(fake: T, authorizer: Authorizer): T & ProvisioningEc2Port {
  return new Proxy(fake, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) =>
        current.run({ authorizer, call: { method: property, args } }, () => value.apply(target, args));
    },
  });
}

/** An events port that publishes only what `events:PutEvents` on the bus allows. */
export function enforcedEvents<T extends EventsPort>(events: T, authorizer: Authorizer, bus: string): T {
  const resource = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`;
  return new Proxy(events, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (property !== 'publish' || typeof value !== 'function') return value;
      return async (published: AppEvent[], options?: CallOptions) => {
        if (published.length > 0)
          await authorizer.authorize('json', [{ action: 'events:PutEvents', resource }]);
        return value.call(target, published, options);
      };
    },
  });
}

/** The AWS error a call fails with, or undefined when it succeeds (anything else is rethrown). */
export async function awsFailureOf(call: Promise<unknown>): Promise<AwsError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
}
