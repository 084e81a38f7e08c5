import { cliHelpConfiguration } from '../settings/index.ts';
import type { CommandName } from './args.ts';

// The variable list comes from the settings catalogue, so a new setting the CLI reads is listed here too.
const GLOBAL = `Every command takes --json (machine-readable output on stdout) and --help.
Exit codes: 0 healthy / Ready / Progressing, 1 a check failed or a cluster is Blocked,
2 usage, configuration, authentication or API error.

${cliHelpConfiguration()}`;

export const HELP: Record<CommandName | 'main', string> = {
  main: `tidb-privatelink: AWS PrivateLink for TiDB Cloud Dedicated clusters, provisioned and diagnosed.

Usage: tidb-privatelink <command> [flags]

Commands:
  status      one line per cluster of this region: endpoint, AWS state, TiDB state, private DNS, health
  provision   create, register and enable the PrivateLink endpoint of one cluster (idempotent)
  reconcile   what the scheduled job does: detect clusters and provision every one of them
  doctor      diagnose one cluster's PrivateLink path and print the exact fixes
  preflight   before a deploy: check the VPC, subnets, quotas, API-key secret, key and event bus
  iam-policy  print the IAM policy a person needs to run these commands (no stack needed)

${GLOBAL}`,
  status: `Usage: tidb-privatelink status [--wide] [--json]

Lists this region's AWS clusters and, when PRIVATELINK_VPC_ID is set, the managed endpoint, its AWS state,
TiDB's connection state, private DNS and the last probe health, within 120 columns (long names are cut).
Then this stack's orphaned endpoints (their cluster or node group is gone) with what each costs per month
at AWS's us-east-1 prices of 2026-11.
  --wide         every column, nothing cut: also the node group, the private link service (state,
                 service name, AZs), whether PRIVATELINK_CLUSTERS selects the cluster, and for orphans
                 their AZs and since when they are orphaned
  --json         everything, as { "clusters": [...], "orphans": [...] } (the same with or without --wide)

${GLOBAL}`,
  provision: `Usage: tidb-privatelink provision --cluster <clusterId> [--node-group <id>] [--wait] [--timeout-s <n>] [--dry-run] [--json]

Reconciles one cluster: creates the interface endpoint (only in subnets whose AZ ID the service supports,
private DNS off), registers it with TiDB Cloud, waits for TiDB to accept it, then enables private DNS.
  --cluster      TiDB Cloud cluster id (digits)
  --node-group   TiDB node group id (default: the cluster's default group)
  --wait         keep reconciling until Ready, Blocked or the timeout (exit 1 if still Progressing)
  --timeout-s    how long --wait waits (default 900)
  --dry-run      observe and plan only: print each action it would take with its AWS CLI / API
                 equivalent, change nothing (exit 0, 2 on API errors; not with --wait)

Needs PRIVATELINK_VPC_ID and PRIVATELINK_SUBNET_IDS (PRIVATELINK_SECURITY_GROUP_IDS optional).

${GLOBAL}`,
  reconcile: `Usage: tidb-privatelink reconcile [--dry-run] [--json]

Lists every cluster of this region (and TIDB_CLOUD_PROJECT_ID, if set) and provisions each, one step
each; then handles this stack's orphaned endpoints (cluster or node group gone): marks them, and deletes
them after PRIVATELINK_DELETE_ORPHANS_AFTER_H hours if that is set. Exit 1 if any cluster is Blocked.
With PRIVATELINK_STATE_TABLE it first takes the scheduled reconcile's lease (for at most 10 minutes): while
another run holds it, it does nothing, names the holder and exits 1.
  --dry-run      observe and plan only: print each action it would take with its AWS CLI / API
                 equivalent, change nothing (exit 0, 2 on API errors)

${GLOBAL}`,
  doctor: `Usage: tidb-privatelink doctor --cluster <clusterId> [--node-group <id>] [--vpc-endpoint <vpce-id>]
         [--vpc <vpc-id>] [--dns-server <ip[:port]>] [--source-cidr <cidr> | --source-sg <sg-id>] [--timeout-ms <n>] [--json]

Runs every check from the TiDB cluster to the TiDB handshake and prints one line per check, with the
exact fix under each failure. Without --vpc-endpoint it finds the endpoint by tag, then by service name.
With PRIVATELINK_VPCS, --vpc names the VPC of the stack you run it in (default: the first).
Credentials for a TLS login (optional): TIDB_USER, TIDB_PASSWORD.

${GLOBAL}`,
  preflight: `Usage: tidb-privatelink preflight [--timeout-ms <n>] [--json]

Before \`serverless deploy\`, with your own AWS credentials: the credentials (STS), the region, the VPC and
its DNS attributes (enableDnsSupport, enableDnsHostnames), the subnets (in the VPC, their AZ IDs), room for
more interface endpoints in the VPC (Service Quotas L-29B6F2EB, default 50), Lambda's unreserved
concurrency (GetAccountSettings; a warning below the 5 the stack runs at once), the API-key secret
(TIDB_CLOUD_API_KEY_SECRET_ARN, {"publicKey","privateKey"}) and one TiDB Cloud call with that key, and the
event bus. One line per check, the exact fix under each failure. Exit 0 when nothing failed (warnings
allowed), 1 when a check failed.
  --timeout-ms   budget for all the checks (default 30000)

Needs AWS_REGION, PRIVATELINK_VPC_ID, PRIVATELINK_SUBNET_IDS and TIDB_CLOUD_API_KEY_SECRET_ARN (or, for a
local check of the key, TIDB_CLOUD_PUBLIC_KEY and TIDB_CLOUD_PRIVATE_KEY).

${GLOBAL}`,
  'iam-policy': `Usage: tidb-privatelink iam-policy [--provision] [--region <region>] [--account <id>]
         [--table <name>] [--vpc <vpc-id>]... [--json]

Prints the IAM policy document (JSON) a person needs to run this CLI, for use without a stack: the same
statements as the stack's managed policies OperatorReadOnlyPolicy and OperatorProvisionPolicy (see
docs/operations.md). Without --provision: the read-only set, enough for status, doctor, preflight and
--dry-run. With --provision: that set plus what provision and reconcile need to act. Nothing is called;
what was left out (and why) goes to stderr.
  --provision    add the statements of provision and reconcile (create, tag, modify, delete endpoints)
  --region       the region of the ARNs (default: AWS_REGION)
  --account      the account of the ARNs (default: any, *)
  --table        the stack's state table (default: PRIVATELINK_STATE_TABLE); without one the table's
                 statements (recorded services, the quota counter, the lease, cluster records) are left out
  --vpc          a VPC the endpoints go in, once per VPC (default: PRIVATELINK_VPCS or PRIVATELINK_VPC_ID;
                 required with --provision)

Also reads TIDB_CLOUD_API_KEY_SECRET_ARN (without it the secret's statement is left out),
PRIVATELINK_EVENT_BUS and PRIVATELINK_STACK_NAME.

${GLOBAL}`,
};
