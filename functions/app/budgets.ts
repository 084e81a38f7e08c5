/**
 * Time budgets across the Lambda split, derived in one place from the function timeouts serverless.yml
 * configures. The control plane (troubleshoot, probe) hands the in-VPC data plane a budget per probe; that
 * budget must end well before the data-plane function's own timeout, or Lambda kills the probe mid-way and the
 * report says "could not read the data-plane probe" instead of naming the dropped port.
 * test/integration/serverless/template.test.ts checks FUNCTION_TIMEOUTS_S against the packaged template.
 */

/** Lambda timeouts in seconds, exactly as serverless.yml sets them. */
export interface FunctionTimeouts {
  dataPlane: number;
  probe: number;
  troubleshoot: number;
}

export const FUNCTION_TIMEOUTS_S: FunctionTimeouts = { dataPlane: 30, probe: 300, troubleshoot: 60 };

/**
 * Share of the data plane's timeout no probe budget may use: the result still has to be serialised and
 * returned through the invoke, and the stages' own timers fire a little late on a busy runtime.
 */
const CALLEE_MARGIN = 0.2;
/** Share of a control-plane function's own timeout kept back for assembling and returning its result. */
const OWN_RESERVE = 1 / 30;

export interface Budgets {
  /** The most one data-plane probe may be given. */
  dataPlaneMs: number;
  /** Kept back from the data plane's remaining time when it clamps a budget it was handed. */
  dataPlaneReserveMs: number;
  /** Kept back from the troubleshoot function's remaining time. */
  troubleshootReserveMs: number;
  /** Kept back from the probe function's remaining time. */
  probeReserveMs: number;
}

/** Proportional to the timeouts, so a test may scale every timeout by one factor and keep the same fit. */
export function budgetsFor(timeouts: FunctionTimeouts): Budgets {
  const dataPlaneTimeoutMs = timeouts.dataPlane * 1000;
  const dataPlaneMs = Math.floor(dataPlaneTimeoutMs * (1 - CALLEE_MARGIN));
  return {
    dataPlaneMs,
    dataPlaneReserveMs: dataPlaneTimeoutMs - dataPlaneMs,
    troubleshootReserveMs: Math.ceil(timeouts.troubleshoot * 1000 * OWN_RESERVE),
    probeReserveMs: Math.ceil(timeouts.probe * 1000 * OWN_RESERVE),
  };
}

export const DEPLOYED_BUDGETS: Budgets = budgetsFor(FUNCTION_TIMEOUTS_S);
