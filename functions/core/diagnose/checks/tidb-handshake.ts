import { loginFailed, noGreeting, notTidb, timedOut } from '../../remediation.ts';
import { type DiagnoseContext, need } from '../context.ts';
import type { HandshakeOutcome } from '../ports.ts';
import type { Check, CheckOutcome } from '../runner.ts';

/** TiDB's greeting carries a MySQL-compatible version with `TiDB` in it, e.g. `8.0.11-TiDB-v7.5.2`. */
export function namesTidb(serverVersion: string | undefined): boolean {
  return serverVersion !== undefined && /tidb/i.test(serverVersion);
}

function withLogin(handshake: HandshakeOutcome, greeting: string): CheckOutcome {
  const { login } = handshake;
  if (!login) return { status: 'pass', summary: greeting };
  if (login.status === 'ok') {
    return {
      status: 'pass',
      summary: `${greeting} ${login.tls ? 'TLS login' : 'Login'} and SELECT 1 took ${login.queryMs ?? '?'} ms.`,
    };
  }
  const message = login.message ?? login.status;
  return {
    status: 'fail',
    summary: `${greeting} but login failed: ${message}.`,
    remediation: login.status === 'timeout' ? timedOut('Login') : loginFailed(message),
  };
}

function judge(handshake: HandshakeOutcome, port: number, clusterId: string): CheckOutcome {
  const where = `${handshake.address}:${port}`;
  switch (handshake.status) {
    case 'greeting':
      if (!namesTidb(handshake.serverVersion)) {
        return {
          status: 'fail',
          summary: `${where} greets as ${handshake.serverVersion ?? 'an unknown server'}, which is not TiDB.`,
          remediation: notTidb(handshake.address, port),
        };
      }
      return withLogin(
        handshake,
        `TiDB greets from ${where} (${handshake.serverVersion}) in ${handshake.latencyMs} ms.`,
      );
    case 'not-mysql':
      return {
        status: 'fail',
        summary: `${where} does not speak the MySQL protocol.`,
        remediation: notTidb(handshake.address, port),
      };
    case 'timeout':
      return {
        status: 'fail',
        summary: `${where} accepted TCP but sent no greeting in time.`,
        remediation: noGreeting(clusterId),
      };
    default: {
      const detail = handshake.message ? `: ${handshake.message}` : '';
      return {
        status: 'fail',
        summary: `${where} ended the session before a greeting (${handshake.status}${detail}).`,
        remediation: noGreeting(clusterId),
      };
    }
  }
}

export const tidbHandshake: Check<DiagnoseContext> = {
  id: 'tidb.handshake',
  dependsOn: [
    { id: 'tcp.connect', reason: 'Skipped: no TCP connection to the endpoint completed (see tcp.connect).' },
  ],
  async run({ observation, target, dataPlane }): Promise<CheckOutcome> {
    const { handshake } = need(await dataPlane(), 'the data-plane probe');
    if (!handshake) return { status: 'skip', summary: 'Skipped: no endpoint address accepted a connection.' };
    const { login, ...greeting } = handshake;
    return {
      ...judge(handshake, target.port, observation.clusterId),
      evidence: { ...greeting, ...(login ? { login } : {}) },
    };
  },
};
