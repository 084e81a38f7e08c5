import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { DataPlanePort, DataPlaneProbeInput, DataPlaneResult } from '../../core/diagnose/ports.ts';
import { AwsError } from '../../core/errors.ts';
import type { CallOptions } from '../../core/ports.ts';
import { toAwsError } from './clients.ts';

function isDataPlaneResult(value: unknown): value is DataPlaneResult {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.dns === 'object' && record.dns !== null && Array.isArray(record.tcp);
}

/**
 * The data plane in another Lambda, attached to the customer VPC: this side (outside the VPC, where the TiDB
 * Cloud and AWS APIs are reachable) invokes it synchronously, so the VPC needs no internet egress.
 */
export class LambdaDataPlane implements DataPlanePort {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async probe(input: DataPlaneProbeInput, options: CallOptions = {}): Promise<DataPlaneResult> {
    let response: InvokeCommandOutput;
    try {
      response = await this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(input)),
        }),
        { abortSignal: options.signal },
      );
    } catch (error) {
      throw toAwsError(error, 'lambda:InvokeFunction');
    }
    const payload: unknown = JSON.parse(
      new TextDecoder().decode(response.Payload ?? new Uint8Array()) || 'null',
    );
    if (response.FunctionError) {
      const message = (payload as { errorMessage?: unknown } | null)?.errorMessage;
      throw new AwsError(
        'DataPlaneFunctionError',
        `The data-plane function ${this.functionName} failed: ${String(message ?? response.FunctionError)}`,
      );
    }
    const rejection = (payload as { rejected?: unknown; reason?: unknown } | null)?.reason;
    if (typeof rejection === 'string') {
      throw new AwsError(
        'DataPlaneRejected',
        `The data-plane function ${this.functionName} rejected its input: ${rejection}`,
      );
    }
    if (!isDataPlaneResult(payload)) {
      throw new AwsError(
        'DataPlaneFunctionError',
        `The data-plane function ${this.functionName} returned no probe result.`,
      );
    }
    return payload;
  }
}
