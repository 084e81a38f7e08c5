/**
 * A warm environment stays flat: 1,000 invocations of one handler in one process (testing/warm-invocations.ts,
 * with --expose-gc) leave no abort listener on the signal middy shares between them, raise no
 * MaxListenersExceededWarning, and grow the heap by no more than noise.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

interface WarmResult {
  invocations: number;
  longLivedSignals: number;
  maxLeft: number;
  warnings: string[];
  heapStart: number;
  heapEnd: number;
}

const SCRIPT = new URL('../../../testing/warm-invocations.ts', import.meta.url).pathname;
const MiB = 1024 * 1024;

function warm(args: string[]): Promise<WarmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SCRIPT, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stderr.split('\n').find((text) => text.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`warm-invocations exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)) as WarmResult);
    });
  });
}

/** `heapMargin`: what 900 warm invocations may add to the heap, JIT code and the test kit's own records. */
function expectFlat(result: WarmResult, heapMargin: number): void {
  // The premise: one signal outlived the invocations (middy's), and the count below is taken on it.
  expect(result.longLivedSignals).toBeGreaterThanOrEqual(1);
  expect(result.maxLeft).toBe(0);
  expect(result.warnings.filter((warning) => warning.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  expect(result.heapEnd - result.heapStart).toBeLessThan(heapMargin);
}

describe('a warm environment over 1,000 invocations', () => {
  it('the data plane, six targets a batch (more listeners at once than Node allows one signal by default)', async () => {
    const result = await warm(['--function', 'dataPlane', '--invocations', '1000', '--targets', '6']);
    expect(result.invocations).toBe(1000);
    expectFlat(result, 2 * MiB);
  }, 300_000);

  // The simulator remembers every digest nonce count it accepted (replay protection, as TiDB Cloud's gateway
  // does while a nonce lives): about 2 KiB an invocation here, which the margin allows; a signal, listener
  // and closure kept per call would take several times more.
  it('the scheduled probe of three clusters', async () => {
    const result = await warm(['--function', 'probe', '--invocations', '1000', '--targets', '3']);
    expect(result.invocations).toBe(1000);
    expectFlat(result, 6 * MiB);
  }, 300_000);
});
