import { describe, expect, it } from 'vitest';
import type {
  DataPlaneBatchItem,
  DataPlaneBatchPort,
  DataPlaneProbeInput,
  DataPlaneResult,
} from '../../../../functions/core/diagnose/ports.ts';
import { OneTrip } from '../../../../functions/core/probe/one-trip.ts';

const input = (host: string): DataPlaneProbeInput => ({
  host,
  port: 4000,
  expectedAddresses: [],
  timeoutMs: 100,
});
const result = (host: string): DataPlaneResult => ({
  dns: { server: 'system', status: 'nxdomain', addresses: [], durationMs: 1, code: host },
  tcp: [],
});

function recordingBatch(answer?: (inputs: DataPlaneProbeInput[]) => DataPlaneBatchItem[]) {
  const calls: string[][] = [];
  const port: DataPlaneBatchPort = {
    probe: async (one) => {
      calls.push([`single:${one.host}`]);
      return result(one.host);
    },
    probeMany: async (inputs) => {
      calls.push(inputs.map((i) => i.host));
      return answer ? answer(inputs) : inputs.map((i) => ({ ok: true, result: result(i.host) }));
    },
  };
  return { calls, port };
}

describe('OneTrip', () => {
  it('sends one batch once every seat has asked or left, and answers each in order', async () => {
    const { calls, port } = recordingBatch();
    const trip = new OneTrip(port, 3, {});
    const [a, b, c] = [trip.seat(), trip.seat(), trip.seat()];
    const pa = a.dataPlane.probe(input('a'));
    const pc = c.dataPlane.probe(input('c'));
    expect(calls).toEqual([]);
    b.leave();
    expect((await pa).dns.code).toBe('a');
    expect((await pc).dns.code).toBe('c');
    a.leave();
    expect(calls).toEqual([['a', 'c']]);
  });

  it('sends nothing when every seat leaves without asking', () => {
    const { calls, port } = recordingBatch();
    const trip = new OneTrip(port, 2, {});
    trip.seat().leave();
    trip.seat().leave();
    expect(calls).toEqual([]);
  });

  it('rejects only the target the data plane could not probe', async () => {
    const { port } = recordingBatch((inputs) =>
      inputs.map((i) =>
        i.host === 'bad' ? { ok: false, error: 'boom' } : { ok: true, result: result(i.host) },
      ),
    );
    const trip = new OneTrip(port, 2, {});
    const good = trip.seat().dataPlane.probe(input('good'));
    const bad = trip.seat().dataPlane.probe(input('bad'));
    await expect(bad).rejects.toThrow('boom');
    expect((await good).dns.code).toBe('good');
  });

  it('fails every waiting target when the invocation itself fails', async () => {
    const port: DataPlaneBatchPort = {
      probe: async () => result('x'),
      probeMany: async () => {
        throw new Error('Lambda throttled');
      },
    };
    const trip = new OneTrip(port, 2, {});
    const one = trip.seat().dataPlane.probe(input('a'));
    const two = trip.seat().dataPlane.probe(input('b'));
    await expect(one).rejects.toThrow('Lambda throttled');
    await expect(two).rejects.toThrow('Lambda throttled');
  });
});
