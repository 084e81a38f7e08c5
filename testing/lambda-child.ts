/**
 * A Lambda function played by a child process, behind a real LambdaClient (the SDK serialises the Invoke and
 * parses the answer; only the HTTP hop is replaced). It behaves as Lambda does where timeouts matter:
 * - the child imports its handler before the first invoke (Lambda's init phase, not counted in the timeout);
 * - each invoke's context counts its remaining time down from the function's timeout;
 * - at the timeout the child is killed with SIGKILL and the invoke answers with `X-Amz-Function-Error:
 *   Unhandled` and "Task timed out after N.NN seconds"; the next invoke starts a fresh child (a cold start).
 * The child's script is a module that calls `serveLambda(handler)` below.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Readable } from 'node:stream';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';

type FromChild =
  | { type: 'ready' }
  | { type: 'result'; payload: unknown }
  | { type: 'error'; errorMessage: string; errorType: string };

interface Outcome {
  payload: unknown;
  functionError?: 'Unhandled';
}

export interface ChildLambda {
  /** A LambdaClient whose Invoke runs the child, whatever the function name. */
  client: LambdaClient;
  /** Invokes that hit the timeout, for assertions. */
  timedOut: number;
  /** The running child's process id (none before the first invoke or warm-up): its memory can be read. */
  pid: number | undefined;
  /** Runs the init phase now (a warm function), so the first invoke does not wait for it. */
  warm(): Promise<void>;
  close(): void;
}

function waitFor(child: ChildProcess, type: FromChild['type']): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromChild) => {
      if (message.type !== type && !(type === 'result' && message.type === 'error')) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new Error(`the function process exited (${signal ?? code}) before answering`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Starts the function: `script` (TypeScript, run with tsx), with `env`, killed at `timeoutMs` per invoke. */
export function startChildLambda(options: {
  script: string;
  env: Record<string, string>;
  timeoutMs: number;
}): ChildLambda {
  let current: { child: ChildProcess; ready: Promise<FromChild> } | undefined;
  const start = () => {
    const child = fork(options.script, [], {
      execArgv: ['--import', 'tsx'],
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const ready = waitFor(child, 'ready');
    // Marked handled: a child killed before anyone awaits its readiness is not an unhandled rejection.
    ready.catch(() => undefined);
    return { child, ready };
  };

  const state = { timedOut: 0 };
  const invoke = async (event: unknown, signal?: AbortSignal): Promise<Outcome> => {
    current ??= start();
    const { child, ready } = current;
    await ready;
    const answer = waitFor(child, 'result');
    child.send({ type: 'invoke', event, timeoutMs: options.timeoutMs });
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        current = undefined;
        state.timedOut += 1;
        const seconds = (options.timeoutMs / 1000).toFixed(2);
        resolve({
          payload: { errorMessage: `RequestId: test Error: Task timed out after ${seconds} seconds` },
          functionError: 'Unhandled',
        });
      }, options.timeoutMs);
      signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
    });
    const answered = answer.then((message): Outcome => {
      clearTimeout(timer);
      if (message.type === 'error') {
        const { errorMessage, errorType } = message;
        return { payload: { errorMessage, errorType }, functionError: 'Unhandled' };
      }
      return { payload: message.type === 'result' ? message.payload : null };
    });
    // After a kill the child's exit rejects `answered`; the race has already settled with the timeout.
    answered.catch(() => undefined);
    return Promise.race([answered, killed]);
  };

  const client = new LambdaClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDCHILDLAMBDA', secretAccessKey: 'child-lambda' },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: { body?: unknown }, handlerOptions?: { abortSignal?: AbortSignal }) {
        const body = request.body;
        const text = typeof body === 'string' ? body : new TextDecoder().decode(body as Uint8Array);
        const outcome = await invoke(JSON.parse(text || 'null'), handlerOptions?.abortSignal);
        return {
          response: {
            statusCode: 200,
            reason: 'OK',
            headers: {
              'content-type': 'application/json',
              'x-amz-executed-version': '$LATEST',
              ...(outcome.functionError ? { 'x-amz-function-error': outcome.functionError } : {}),
            },
            body: Readable.from([Buffer.from(JSON.stringify(outcome.payload))]),
          },
        };
      },
    },
  });
  return {
    client,
    get timedOut() {
      return state.timedOut;
    },
    get pid() {
      return current?.child.pid;
    },
    warm: async () => {
      current ??= start();
      await current.ready;
    },
    close: () => {
      current?.child.kill('SIGKILL');
      current = undefined;
      client.destroy();
    },
  };
}

function contextUntil(deadline: number): Context {
  return {
    functionName: 'child',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:child',
    memoryLimitInMB: '256',
    awsRequestId: 'test',
    logGroupName: '/aws/lambda/child',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** In the child: answers each invoke with `handler`, after saying it is ready (the end of init). */
export function serveLambda(handler: (event: unknown, context: Context) => Promise<unknown>): void {
  const send = (message: FromChild) => process.send?.(message);
  process.on('message', (message: { type: string; event: unknown; timeoutMs: number }) => {
    if (message.type !== 'invoke') return;
    handler(message.event, contextUntil(Date.now() + message.timeoutMs)).then(
      (payload) => send({ type: 'result', payload }),
      (error: unknown) =>
        send({
          type: 'error',
          errorMessage: error instanceof Error ? error.message : String(error),
          errorType: error instanceof Error ? error.name : 'Error',
        }),
    );
  });
  send({ type: 'ready' });
}
