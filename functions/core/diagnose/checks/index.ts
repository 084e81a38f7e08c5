/**
 * The check suite in contract order (docs/contracts.md). Prerequisites come before the checks that need them, which
 * the runner relies on.
 */
import type { DiagnoseContext } from '../context.ts';
import type { Check } from '../runner.ts';
import { awsAzCoverage } from './aws-az-coverage.ts';
import { awsEndpointState } from './aws-endpoint-state.ts';
import { awsNetworkAcl } from './aws-network-acl.ts';
import { awsPrivateDns } from './aws-private-dns.ts';
import { awsRegionMatch } from './aws-region-match.ts';
import { awsReturnRoute } from './aws-return-route.ts';
import { awsSecurityGroupIngress } from './aws-security-group-ingress.ts';
import { awsVpcDnsAttributes } from './aws-vpc-dns-attributes.ts';
import { dnsResolution } from './dns-resolution.ts';
import { tcpConnect } from './tcp-connect.ts';
import { tidbClusterState } from './tidb-cluster-state.ts';
import { tidbConnectionState } from './tidb-connection-state.ts';
import { tidbHandshake } from './tidb-handshake.ts';
import { tidbServiceReady } from './tidb-service-ready.ts';

export const CHECKS: readonly Check<DiagnoseContext>[] = [
  tidbClusterState,
  tidbServiceReady,
  awsRegionMatch,
  awsVpcDnsAttributes,
  awsEndpointState,
  tidbConnectionState,
  awsAzCoverage,
  awsPrivateDns,
  awsSecurityGroupIngress,
  awsNetworkAcl,
  awsReturnRoute,
  dnsResolution,
  tcpConnect,
  tidbHandshake,
];
