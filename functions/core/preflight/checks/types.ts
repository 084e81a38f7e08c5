import type { Check } from '../../diagnose/runner.ts';
import { AwsError } from '../../errors.ts';
import type { PreflightContext } from '../context.ts';
import type { PreflightCheckId } from '../ports.ts';

export type PreflightCheck = Check<PreflightContext, PreflightCheckId>;

/** AWS's error code (`InvalidVpcID.NotFound`, `AccessDenied`…), or undefined for anything else. */
export function awsCodeOf(error: unknown): string | undefined {
  return error instanceof AwsError ? error.awsCode : undefined;
}

export const isNotFound = (error: unknown): boolean => /NotFound/.test(awsCodeOf(error) ?? '');

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
