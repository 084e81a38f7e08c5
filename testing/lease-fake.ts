/**
 * Leases in memory, with the DynamoDB adapter's conditions (functions/adapters/aws/dynamodb-lease.ts): taken
 * when absent or expired before `freeBefore`, released only by the same holder with the same `until`.
 */
import type { LeaseHeld, LeaseStore } from '../functions/core/ports.ts';

export class MemoryLeaseStore implements LeaseStore {
  readonly leases = new Map<string, LeaseHeld>();
  takes = 0;
  releases = 0;

  async tryTake(
    name: string,
    lease: LeaseHeld,
    freeBefore: number,
  ): Promise<{ taken: true } | { taken: false; heldBy: LeaseHeld }> {
    this.takes += 1;
    const held = this.leases.get(name);
    if (held && held.until >= freeBefore) return { taken: false, heldBy: { ...held } };
    this.leases.set(name, { ...lease });
    return { taken: true };
  }

  async release(name: string, lease: LeaseHeld): Promise<boolean> {
    this.releases += 1;
    const held = this.leases.get(name);
    if (held?.holder !== lease.holder || held.until !== lease.until) return false;
    this.leases.delete(name);
    return true;
  }
}
