/**
 * `PRIVATELINK_CLUSTERS`: which clusters this stack manages, by cluster id and display-name glob. Cluster
 * labels cannot serve: the API lets users set only `tidb.cloud/project`.
 */
import { UsageError } from './errors.ts';

export interface ClusterSelection {
  ids: string[];
  /** Display-name globs: `*` any run of characters, `?` one character; the rest matches itself. */
  globs: string[];
}

/** No selection: every cluster in scope (region, project). */
export const ALL_CLUSTERS: ClusterSelection = { ids: [], globs: [] };

const ID = /^\d{1,24}$/;

/**
 * Parses the comma-separated list; throws one sentence naming what is wrong.
 * @example parseSelection('prod-*,1379661944646413143') // { ids: ['1379661944646413143'], globs: ['prod-*'] }
 */
export function parseSelection(text: string | undefined): ClusterSelection {
  const items = (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  const bad = items.filter((item) => item.length > 255 || /\s/.test(item));
  if (bad.length > 0) {
    throw new UsageError(
      `PRIVATELINK_CLUSTERS entries are cluster ids or display-name globs without spaces; got ${bad
        .map((item) => JSON.stringify(item))
        .join(', ')}.`,
    );
  }
  return { ids: items.filter((item) => ID.test(item)), globs: items.filter((item) => !ID.test(item)) };
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function isEverything(selection: ClusterSelection): boolean {
  return selection.ids.length === 0 && selection.globs.length === 0;
}

/** True when the selection takes this cluster (no selection takes every cluster). */
export function selects(
  selection: ClusterSelection | undefined,
  cluster: { clusterId: string; displayName: string },
): boolean {
  if (!selection || isEverything(selection)) return true;
  return (
    selection.ids.includes(cluster.clusterId) ||
    selection.globs.some((glob) => globToRegExp(glob).test(cluster.displayName))
  );
}
