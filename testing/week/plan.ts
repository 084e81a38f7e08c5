/**
 * A week of churn for N clusters, drawn from a seed: when each cluster is created (part of the fleet at the
 * start, the rest over the week), whether it is deleted, paused and resumed, goes through a maintenance
 * state, or gets a second node group. A cluster's events fall in disjoint slots of its life, so they never
 * overlap, and everything settles at least `settleMs` before the end, when the verdict is taken.
 */
import type { ClusterState } from '../../functions/core/model.ts';
import { seededRandom } from '../tidbcloud-simulator/faults.ts';

const HOUR = 3_600_000;
export const WEEK_MS = 7 * 24 * HOUR;

export interface ChurnRates {
  /** Share of the fleet there at the start; the others are created at random times over the week. */
  initial: number;
  /** Share deleted some hours after creation (its endpoint then orphaned and, after the grace, deleted). */
  deleted: number;
  /** Share deleted while still CREATING, before any endpoint exists. */
  deletedWhileCreating: number;
  paused: number;
  maintenance: number;
  nodeGroupAdded: number;
}

export const DEFAULT_CHURN: ChurnRates = {
  initial: 0.4,
  deleted: 0.2,
  deletedWhileCreating: 0.03,
  paused: 0.2,
  maintenance: 0.3,
  nodeGroupAdded: 0.1,
};

/** A state the cluster goes through for `forMs`, then back to ACTIVE. */
export interface Interlude {
  at: number;
  forMs: number;
  /** The states in order (e.g. PAUSING then PAUSED), the first for a few minutes. */
  states: ClusterState[];
}

export interface ClusterPlan {
  index: number;
  createdAt: number;
  /** When the user deletes it (DELETING, then gone 30 min later). */
  deletedAt?: number;
  interludes: Interlude[];
  nodeGroupAt?: number;
}

export interface PlanOptions {
  clusters: number;
  seed: number;
  churn?: ChurnRates;
  /** Nothing happens in the last `settleMs` but the grace of the last deletions. */
  settleMs: number;
  /** Deletions end this long before `settleMs` starts, so every orphan is due before the end. */
  orphanGraceMs: number;
}

const MAINTENANCE: ClusterState[][] = [['MAINTENANCE'], ['MODIFYING'], ['UPGRADING']];

export function planWeek(options: PlanOptions): ClusterPlan[] {
  const random = seededRandom(options.seed);
  const churn = options.churn ?? DEFAULT_CHURN;
  const lastEvent = WEEK_MS - options.settleMs;
  const between = (from: number, to: number) => from + random() * Math.max(0, to - from);
  return Array.from({ length: options.clusters }, (_, index): ClusterPlan => {
    const createdAt = random() < churn.initial ? 0 : between(0, lastEvent - 6 * HOUR);
    const plan: ClusterPlan = { index, createdAt, interludes: [] };
    const fate = random();
    if (fate < churn.deletedWhileCreating) return { ...plan, deletedAt: createdAt + 5 * 60_000 };
    const lastDeletion = lastEvent - options.orphanGraceMs;
    if (fate < churn.deletedWhileCreating + churn.deleted && createdAt + 6 * HOUR < lastDeletion) {
      plan.deletedAt = between(createdAt + 6 * HOUR, lastDeletion);
    }
    // The cluster's settled life (after it first turned Ready) split in three slots, one event kind each.
    const from = createdAt + 2 * HOUR;
    const slot = ((plan.deletedAt ?? lastEvent) - from) / 3;
    if (slot < HOUR) return plan;
    const inSlot = (n: number, forMs: number) => between(from + n * slot, from + (n + 1) * slot - forMs);
    if (random() < churn.paused) {
      const forMs = Math.min(slot / 2, between(2 * HOUR, 12 * HOUR));
      plan.interludes.push({ at: inSlot(0, forMs), forMs, states: ['PAUSING', 'PAUSED', 'RESUMING'] });
    }
    if (random() < churn.maintenance) {
      const forMs = Math.min(slot / 2, between(20 * 60_000, 2 * HOUR));
      const states = MAINTENANCE[Math.floor(random() * MAINTENANCE.length)] ?? ['MAINTENANCE'];
      plan.interludes.push({ at: inSlot(1, forMs), forMs, states });
    }
    if (random() < churn.nodeGroupAdded) plan.nodeGroupAt = inSlot(2, 0);
    return plan;
  });
}
