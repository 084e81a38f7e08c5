/**
 * The probe's one trip to the data plane: the doctor runs of a chunk of endpoints each ask for their own
 * data-plane probe, and this gathers those asks into one batch call (one Lambda invocation). It sends when
 * every run of the chunk has either asked or finished without asking (its DNS check was skipped), so no
 * run waits for a timer and none is left behind.
 */
import type {
  DataPlaneBatchPort,
  DataPlanePort,
  DataPlaneProbeInput,
  DataPlaneResult,
} from '../diagnose/ports.ts';
import type { CallOptions } from '../ports.ts';

interface Ask {
  input: DataPlaneProbeInput;
  resolve(result: DataPlaneResult): void;
  reject(error: unknown): void;
}

/** One doctor run's place in the trip: its data plane, and `leave()` once the run is over. */
export interface Seat {
  dataPlane: DataPlanePort;
  leave(): void;
}

export class OneTrip {
  private asks: Ask[] = [];
  private undecided: number;

  constructor(
    private readonly batch: DataPlaneBatchPort,
    seats: number,
    private readonly options: CallOptions,
  ) {
    this.undecided = seats;
  }

  /** Call once per doctor run of the chunk, before any of them starts. */
  seat(): Seat {
    let decided = false;
    const decide = () => {
      if (decided) return false;
      decided = true;
      this.undecided -= 1;
      return true;
    };
    return {
      dataPlane: {
        probe: (input) =>
          new Promise<DataPlaneResult>((resolve, reject) => {
            // A run asks once (its doctor memoises the probe); a second ask would miss the trip.
            if (!decide()) {
              this.batch.probe(input, this.options).then(resolve, reject);
              return;
            }
            this.asks.push({ input, resolve, reject });
            this.sendWhenAllDecided();
          }),
      },
      leave: () => {
        if (decide()) this.sendWhenAllDecided();
      },
    };
  }

  private sendWhenAllDecided(): void {
    if (this.undecided > 0 || this.asks.length === 0) return;
    const asks = this.asks;
    this.asks = [];
    this.batch
      .probeMany(
        asks.map((ask) => ask.input),
        this.options,
      )
      .then(
        (items) =>
          asks.forEach((ask, index) => {
            const item = items[index];
            if (item?.ok) ask.resolve(item.result);
            else
              ask.reject(new Error(item ? item.error : 'the data plane returned no result for this target'));
          }),
        (error: unknown) => {
          for (const ask of asks) ask.reject(error);
        },
      );
  }
}
