import { UsageError } from '../../core/errors.ts';
import type { Flags } from '../args.ts';
import type { CliContext, CommandResult } from '../context.ts';

export function doctorOptions(_flags: Flags): void {}

// Wired to the diagnose core once it lands (issue 4).
export async function doctor(_ctx: CliContext): Promise<CommandResult> {
  throw new UsageError('doctor is not available yet.');
}
