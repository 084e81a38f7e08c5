import type { AppEvent, EventsPort } from '../core/ports.ts';

/**
 * Events for a person at a terminal: the CLI prints them instead of sending them to EventBridge unless
 * PRIVATELINK_EVENT_BUS is set, so a local run needs no events:PutEvents permission.
 */
export class LogEventsPort implements EventsPort {
  constructor(private readonly write: (line: string) => void) {}

  async publish(events: AppEvent[]): Promise<void> {
    for (const event of events) {
      this.write(`event: ${event.detailType} (cluster ${event.detail.clusterId})`);
    }
  }
}
