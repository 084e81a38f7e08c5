/**
 * `EventsPort` on EventBridge PutEvents. The detail type is the event's Title Case name, the detail its JSON.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { AwsError } from '../../core/errors.ts';
import type { AppEvent, CallOptions, EventsPort } from '../../core/ports.ts';
import { type AwsClientOptions, clientConfig, toAwsError } from './clients.ts';

/** Beside the adapter rather than in clients.ts, so a function can import both on its first publish. */
export const createEventBridgeClient = (options: AwsClientOptions) =>
  new EventBridgeClient(clientConfig(options));

/** PutEvents accepts at most 10 entries per call. */
export const PUT_EVENTS_BATCH_SIZE = 10;

export interface EventBridgeAdapterOptions {
  client: EventBridgeClient;
  /** Bus name or ARN (`PRIVATELINK_EVENT_BUS`; `default` is the account's default bus). */
  eventBusName: string;
  /** The events' `source`, `tidb-privatelink` unless configured otherwise; never `aws.*`. */
  source: string;
}

/**
 * @example await new EventBridgeAdapter({ client, eventBusName: 'default', source: 'tidb-privatelink' }).publish(events);
 */
export class EventBridgeAdapter implements EventsPort {
  readonly #client: EventBridgeClient;
  readonly #eventBusName: string;
  readonly #source: string;

  constructor(options: EventBridgeAdapterOptions) {
    this.#client = options.client;
    this.#eventBusName = options.eventBusName;
    this.#source = options.source;
  }

  /**
   * Sends every event, in order, 10 per call. PutEvents succeeds at the HTTP level even when entries are
   * rejected, so a non-zero `FailedEntryCount` is turned into an `AwsError` here: a lost event is never silent.
   * Batches already sent stay sent; a retry may therefore deliver some events twice, which the rules' targets
   * tolerate because every event carries its full state (level-triggered consumers).
   */
  async publish(events: AppEvent[], options?: CallOptions): Promise<void> {
    for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH_SIZE) {
      const batch = events.slice(start, start + PUT_EVENTS_BATCH_SIZE);
      const entries: PutEventsRequestEntry[] = batch.map((event) => ({
        EventBusName: this.#eventBusName,
        Source: this.#source,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
      }));
      let output: PutEventsCommandOutput;
      try {
        output = await this.#client.send(new PutEventsCommand({ Entries: entries }), {
          abortSignal: options?.signal,
        });
      } catch (error) {
        throw toAwsError(error, 'PutEvents');
      }
      const failed = output.FailedEntryCount ?? 0;
      if (failed > 0) {
        const index = (output.Entries ?? []).findIndex((entry) => entry.ErrorCode);
        const first = index >= 0 ? output.Entries?.[index] : undefined;
        const code = first?.ErrorCode ?? 'PutEventsFailed';
        const which =
          index >= 0 ? ` (first: "${batch[index]?.detailType}": ${first?.ErrorMessage ?? code})` : '';
        throw new AwsError(
          code,
          `EventBridge rejected ${failed} of ${batch.length} events on bus ${this.#eventBusName}${which}`,
        );
      }
    }
  }
}
