/**
 * The diagnose core's own port: the data plane, which does only DNS, TCP and the MySQL handshake from where
 * clients sit (the CLI's machine, or a VPC-attached Lambda). Input and result are plain JSON so the control
 * plane can invoke a data-plane Lambda through this same interface.
 */

import { sameIp } from '../network/cidr.ts';
import type { CallOptions } from '../ports.ts';

export interface DbCredentials {
  user: string;
  password: string;
  /** PEM CA bundle; without it the system's roots verify the server. */
  ca?: string;
  /** Default true. Only local test servers (mysql2's, which has no TLS) turn it off. */
  tls?: boolean;
}

export interface DataPlaneProbeInput {
  host: string;
  port: number;
  /** The endpoint's ENI addresses: the only addresses the data plane may connect to. */
  expectedAddresses: string[];
  /** Budget for the whole probe (DNS, then TCP, then the handshake). */
  timeoutMs: number;
  /** `ip` or `ip:port` (`[v6]:port`); the system resolver when absent. */
  dnsServer?: string;
  credentials?: DbCredentials;
}

export type DnsStatus = 'answered' | 'nxdomain' | 'nodata' | 'timeout' | 'servfail' | 'refused' | 'error';

export interface DnsOutcome {
  /** The resolver asked: `ip[:port]`, or `system`. */
  server: string;
  status: DnsStatus;
  /** A and AAAA answers together. */
  addresses: string[];
  /** The resolver's error code (`ENOTFOUND`, `ETIMEOUT`, …) when there was no answer. */
  code?: string;
  durationMs: number;
}

export type TcpStatus = 'connected' | 'refused' | 'timeout' | 'error';

export interface TcpOutcome {
  address: string;
  port: number;
  status: TcpStatus;
  latencyMs: number;
  code?: string;
}

export type GreetingStatus = 'greeting' | 'error-packet' | 'not-mysql' | 'closed' | 'timeout' | 'error';

export interface LoginOutcome {
  status: 'ok' | 'failed' | 'timeout';
  tls: boolean;
  /** `SELECT 1` round trip after login. */
  queryMs?: number;
  message?: string;
}

export interface HandshakeOutcome {
  address: string;
  status: GreetingStatus;
  /** From the initial handshake packet, e.g. `8.0.11-TiDB-v7.5.2`. */
  serverVersion?: string;
  /** The server's error packet or the socket error. */
  message?: string;
  latencyMs: number;
  /** Present when credentials were given. */
  login?: LoginOutcome;
}

export interface DataPlaneResult {
  dns: DnsOutcome;
  /** One per probed address; empty when DNS did not point only at the endpoint. */
  tcp: TcpOutcome[];
  /** Absent when no TCP connection completed. */
  handshake?: HandshakeOutcome;
}

export interface DataPlanePort {
  probe(input: DataPlaneProbeInput, options?: CallOptions): Promise<DataPlaneResult>;
}

/** At most this many targets travel in one data-plane invocation (the probe's chunk of endpoints). */
export const MAX_BATCH_TARGETS = 50;

/** One target's answer in a batch: its result, or why the data plane could not probe it. */
export type DataPlaneBatchItem = { ok: true; result: DataPlaneResult } | { ok: false; error: string };

/**
 * The probe's trip to the data plane: every endpoint's targets in one call (one Lambda invocation), probed
 * there with bounded concurrency, answered in the order given.
 */
export interface DataPlaneBatchPort extends DataPlanePort {
  probeMany(inputs: DataPlaneProbeInput[], options?: CallOptions): Promise<DataPlaneBatchItem[]>;
}

/**
 * The addresses the data plane may connect to: all resolved ones when every one is an endpoint ENI address,
 * otherwise none, because DNS pointing anywhere else (a public record, another endpoint) means the probe
 * would test the wrong thing, and may reach outside the VPC.
 */
export function probeTargets(resolved: readonly string[], expected: readonly string[]): string[] {
  const isExpected = (address: string) => expected.some((candidate) => sameIp(candidate, address));
  return resolved.length > 0 && resolved.every(isExpected) ? [...resolved] : [];
}
