import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type {
  DataPlaneBatchItem,
  DataPlaneBatchPort,
  DataPlaneProbeInput,
  DataPlaneResult,
} from '../../core/diagnose/ports.ts';
import { AwsError } from '../../core/errors.ts';
import type { CallOptions } from '../../core/ports.ts';
import { toAwsError } from './clients.ts';

function isDataPlaneResult(value: unknown): value is DataPlaneResult {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.dns === 'object' && record.dns !== null && Array.isArray(record.tcp);
}

function isBatchItem(value: unknown): value is DataPlaneBatchItem {
  if (typeof value !== 'object' || value === null) return false;
  const item = value as Record<string, unknown>;
  return item.ok === true ? isDataPlaneResult(item.result) : typeof item.error === 'string';
}

/**
 * The data plane in another Lambda, attached to the customer VPC: this side (outside the VPC, where the TiDB
 * Cloud and AWS APIs are reachable) invokes it synchronously, so the VPC needs no internet egress. One
 * target per invocation for troubleshoot; a whole batch (`{ targets }`) per invocation for the probe.
 */
export class LambdaDataPlane implements DataPlaneBatchPort {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  private async invoke(input: unknown, options: CallOptions): Promise<unknown> {
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
    return payload;
  }

  private noResult(): AwsError {
    return new AwsError(
      'DataPlaneFunctionError',
      `The data-plane function ${this.functionName} returned no probe result.`,
    );
  }

  async probe(input: DataPlaneProbeInput, options: CallOptions = {}): Promise<DataPlaneResult> {
    const payload = await this.invoke(input, options);
    if (!isDataPlaneResult(payload)) throw this.noResult();
    return payload;
  }

  async probeMany(inputs: DataPlaneProbeInput[], options: CallOptions = {}): Promise<DataPlaneBatchItem[]> {
    const payload = (await this.invoke({ targets: inputs }, options)) as { results?: unknown } | null;
    const results = payload?.results;
    if (!Array.isArray(results) || results.length !== inputs.length || !results.every(isBatchItem)) {
      throw this.noResult();
    }
    return results;
  }
}
