/**
 * The cluster registry in memory, with the DynamoDB adapter's semantics: a first sighting wins exactly once,
 * `phaseSince` moves only with the phase, a health flip is recorded by exactly one of racing callers.
 * `writes` counts calls, for tests that assert "no write".
 */
import type {
  ClusterRecord,
  ClusterRegistry,
  HealthKey,
  HealthRecordPort,
  QuotaCounter,
  QuotaRing,
  QuotaTake,
  ServiceFacts,
} from '../functions/core/ports.ts';

export class MemoryClusterRegistry implements ClusterRegistry, HealthRecordPort {
  readonly rows = new Map<string, ClusterRecord & { expiresAt?: number }>();
  /** Health rows by endpoint id, as the table's `health#<vpce-id>` items. */
  readonly health = new Map<string, HealthKey & { health: string; healthSince: string }>();
  writes = 0;
  reads = 0;

  async recordHealth(
    key: HealthKey,
    health: string,
    at: number,
  ): Promise<{ changed: true; previous: string | null } | { changed: false }> {
    this.writes += 1;
    const previous = this.health.get(key.vpcEndpointId)?.health ?? null;
    if (previous === health) return { changed: false };
    this.health.set(key.vpcEndpointId, { ...key, health, healthSince: new Date(at).toISOString() });
    return { changed: true, previous };
  }

  async recordSighting(clusterId: string, tidbNodeGroupId: string, at: number): Promise<{ first: boolean }> {
    this.writes += 1;
    const row = this.rows.get(clusterId);
    if (row?.firstSeenAt) return { first: false };
    this.rows.set(clusterId, { ...row, clusterId, tidbNodeGroupId, firstSeenAt: new Date(at).toISOString() });
    return { first: true };
  }

  async setPhase(
    clusterId: string,
    phase: string,
    since: number,
  ): Promise<{ changed: boolean; known: boolean; previous?: string }> {
    this.writes += 1;
    const existing = this.rows.get(clusterId);
    const row = existing ?? { clusterId, tidbNodeGroupId: '', firstSeenAt: '' };
    if (row.phase === phase) return { changed: false, known: true, previous: phase };
    this.rows.set(clusterId, { ...row, phase, phaseSince: new Date(since).toISOString() });
    return { changed: true, known: existing !== undefined, ...(row.phase ? { previous: row.phase } : {}) };
  }

  async recordService(clusterId: string, service: ServiceFacts): Promise<void> {
    this.writes += 1;
    const row = this.rows.get(clusterId) ?? { clusterId, tidbNodeGroupId: '', firstSeenAt: '' };
    this.rows.set(clusterId, { ...row, service: { ...service } });
  }

  async get(clusterId: string): Promise<ClusterRecord | undefined> {
    this.reads += 1;
    const row = this.rows.get(clusterId);
    return row ? { ...row } : undefined;
  }

  async list(): Promise<ClusterRecord[]> {
    this.reads += 1;
    return [...this.rows.values()].map((row) => ({ ...row }));
  }

  async markDeleted(clusterId: string, at: number, retainSeconds: number): Promise<void> {
    this.writes += 1;
    const row = this.rows.get(clusterId) ?? { clusterId, tidbNodeGroupId: '', firstSeenAt: '' };
    this.rows.set(clusterId, {
      ...row,
      deletedAt: new Date(at).toISOString(),
      expiresAt: Math.floor(at / 1000) + retainSeconds,
    });
  }
}

/**
 * The stack's quota ring in memory, with the DynamoDB adapter's conditions checked and applied in one step
 * (one ring per limit, as there). `taken` lists the recorded takes and `refused` counts refusals, so tests
 * and the bench can check windows and count writes.
 */
export class MemoryQuotaCounter implements QuotaCounter {
  private readonly rings = new Map<number, { next: number; last?: number; slots: (number | undefined)[] }>();
  readonly taken: QuotaTake[] = [];
  refused = 0;

  async tryTake(take: QuotaTake): Promise<{ taken: true } | { taken: false; ring: QuotaRing }> {
    const ring = this.rings.get(take.limit) ?? { next: 0, slots: [] };
    const checkedAt = take.check === undefined ? undefined : ring.slots[take.check.slot];
    if (
      ring.next !== take.index ||
      (take.check !== undefined && checkedAt !== undefined && checkedAt > take.check.freeBefore) ||
      (ring.last !== undefined && ring.last > take.at)
    ) {
      this.refused += 1;
      return { taken: false, ring: { ...ring, slots: [...ring.slots] } };
    }
    if (take.recordSlot !== undefined) ring.slots[take.recordSlot] = take.at;
    ring.next = take.index + 1;
    ring.last = take.at;
    this.rings.set(take.limit, ring);
    this.taken.push(take);
    return { taken: true };
  }
}
