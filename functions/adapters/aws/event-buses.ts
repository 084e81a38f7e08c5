/** `EventBusPort` on EventBridge DescribeEventBus. */
import { DescribeEventBusCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { CallOptions } from '../../core/ports.ts';
import type { EventBusPort } from '../../core/preflight/ports.ts';
import { toAwsError } from './clients.ts';

export class EventBusLookup implements EventBusPort {
  constructor(private readonly client: EventBridgeClient) {}

  async exists(name: string, options?: CallOptions): Promise<boolean> {
    try {
      await this.client.send(new DescribeEventBusCommand({ Name: name }), { abortSignal: options?.signal });
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
      throw toAwsError(error, 'DescribeEventBus');
    }
  }
}
