import { describe, expect, it } from 'vitest';
import type { CheckId } from '../../../../functions/core/diagnose/report.ts';
import {
  type Check,
  type CheckOutcome,
  CheckOutcomeError,
  type RunOptions,
  runChecks,
} from '../../../../functions/core/diagnose/runner.ts';

const options = (signal = new AbortController().signal): RunOptions => ({
  signal,
  onTimeout: (id) => ({ status: 'fail', summary: `${id} timed out`, remediation: 'wait' }),
  onCrash: (id, error) => ({
    status: 'fail',
    summary: `${id} crashed: ${String(error)}`,
    remediation: 'report',
  }),
});

const pass: CheckOutcome = { status: 'pass', summary: 'ok' };
const fail: CheckOutcome = { status: 'fail', summary: 'broken', remediation: 'fix it' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function check(id: CheckId, dependsOn: CheckId[], run: Check<null>['run']): Check<null> {
  return { id, dependsOn: dependsOn.map((dep) => ({ id: dep })), run };
}

describe('runChecks', () => {
  it('skips a check whose prerequisite failed, and its dependents transitively', async () => {
    const results = await runChecks(
      [
        check('tidb.cluster-state', [], () => fail),
        check('tidb.service-ready', ['tidb.cluster-state'], () => pass),
        check('aws.endpoint-state', ['tidb.service-ready'], () => pass),
        check('aws.region-match', [], () => pass),
      ],
      null,
      options(),
    );
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['tidb.cluster-state', 'fail'],
      ['tidb.service-ready', 'skip'],
      ['aws.endpoint-state', 'skip'],
      ['aws.region-match', 'pass'],
    ]);
    expect(results[1]?.summary).toBe('Skipped: tidb.cluster-state failed.');
    expect(results[2]?.summary).toBe('Skipped: tidb.service-ready was skipped.');
  });

  it('uses the dependency’s own skip wording, and lets a warning through', async () => {
    const results = await runChecks(
      [
        { id: 'dns.resolution', dependsOn: [], run: () => fail },
        {
          id: 'tcp.connect',
          dependsOn: [{ id: 'dns.resolution', reason: 'DNS does not point at the endpoint' }],
          run: () => pass,
        },
        { id: 'aws.endpoint-state', dependsOn: [], run: () => ({ status: 'warn', summary: 'pending' }) },
        { id: 'aws.private-dns', dependsOn: [{ id: 'aws.endpoint-state' }], run: () => pass },
      ],
      null,
      options(),
    );
    expect(results[1]).toMatchObject({ status: 'skip', summary: 'DNS does not point at the endpoint' });
    expect(results[3]?.status).toBe('pass');
  });

  it('runs independent checks in parallel and keeps list order', async () => {
    const started: CheckId[] = [];
    const slow = (id: CheckId, ms: number) =>
      check(id, [], async () => {
        started.push(id);
        await sleep(ms);
        return pass;
      });
    const begin = performance.now();
    const results = await runChecks(
      [slow('aws.region-match', 120), slow('aws.vpc-dns-attributes', 120), slow('tidb.cluster-state', 10)],
      null,
      options(),
    );
    expect(performance.now() - begin).toBeLessThan(220);
    expect(started).toHaveLength(3);
    expect(results.map((r) => r.id)).toEqual([
      'aws.region-match',
      'aws.vpc-dns-attributes',
      'tidb.cluster-state',
    ]);
  });

  it('reports a check still running at the deadline as timed out, without waiting for it', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const begin = performance.now();
    const results = await runChecks(
      [check('dns.resolution', [], () => new Promise(() => {}))],
      null,
      options(controller.signal),
    );
    expect(performance.now() - begin).toBeLessThan(500);
    expect(results[0]).toMatchObject({ status: 'fail', summary: 'dns.resolution timed out' });
  });

  it('turns CheckOutcomeError into its outcome and a crash into a fail', async () => {
    const results = await runChecks(
      [
        check('aws.network-acl', [], () => {
          throw new CheckOutcomeError({ status: 'skip', summary: 'nothing to read' });
        }),
        check('aws.az-coverage', [], () => {
          throw new Error('boom');
        }),
      ],
      null,
      options(),
    );
    expect(results[0]).toMatchObject({ status: 'skip', summary: 'nothing to read' });
    expect(results[1]).toMatchObject({
      status: 'fail',
      summary: 'aws.az-coverage crashed: Error: boom',
      remediation: 'report',
    });
  });

  it('refuses a dependency that is not listed earlier', async () => {
    await expect(
      runChecks([check('tcp.connect', ['dns.resolution'], () => pass)], null, options()),
    ).rejects.toThrow(/not listed before it/);
  });
});
