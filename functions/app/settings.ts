/** Within one invocation, re-observe a Progressing cluster at TiDB's own polling pace (Terraform polls at 5 s). */
export const POLL_INTERVAL_MS = 5000;
