/**
 * Flow control for one WebSocket, driven by the socket's own events (send callbacks),
 * never by polling:
 *
 *   bufferedAmount > high water  -> onPause()  (stop dispatching new chunks)
 *   bufferedAmount <= high water -> onResume() (checked as each queued frame is written)
 *   bufferedAmount > hard limit continuously for graceMs -> onSlowReader() (close 1008)
 */
export interface FlowOptions {
  highWaterBytes: number;
  hardLimitBytes: number;
  graceMs: number;
  onPause(): void;
  onResume(): void;
  onSlowReader(): void;
}

export class FlowControl {
  readonly #o: FlowOptions;
  readonly #buffered: () => number;
  #paused = false;
  #overLimitTimer: NodeJS.Timeout | undefined;

  constructor(buffered: () => number, options: FlowOptions) {
    this.#buffered = buffered;
    this.#o = options;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Call after queueing a frame and from each send callback. */
  check(): void {
    const buffered = this.#buffered();
    if (buffered > this.#o.highWaterBytes) {
      if (!this.#paused) {
        this.#paused = true;
        this.#o.onPause();
      }
    } else if (this.#paused) {
      this.#paused = false;
      this.#o.onResume();
    }
    if (buffered > this.#o.hardLimitBytes) {
      this.#overLimitTimer ??= setTimeout(() => {
        this.#overLimitTimer = undefined;
        if (this.#buffered() > this.#o.hardLimitBytes) this.#o.onSlowReader();
      }, this.#o.graceMs);
    } else if (this.#overLimitTimer !== undefined) {
      clearTimeout(this.#overLimitTimer);
      this.#overLimitTimer = undefined;
    }
  }

  close(): void {
    clearTimeout(this.#overLimitTimer);
    this.#overLimitTimer = undefined;
  }
}
