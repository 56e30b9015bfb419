// What a child process printed, as a list a test waits on: every wait re-checks when an item arrives (and
// every 200 ms, for its deadline). Shared by the simulator's event reader (sim-process.ts) and the readers of
// other speakers' consoles (line-process.ts: mcsim, QEMU's serial port).

export class WatchedList<T> {
  readonly items: T[] = [];
  private waiters: (() => void)[] = [];

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** Wakes every wait (an item arrived, or the source ended). */
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Index of the first item at or after `from` for which `pred` holds, waiting up to `ms`; `stop()` true
   * (the source ended) or the deadline rejects with `failure()`.
   */
  async next(pred: (item: T) => boolean, from: number, ms: number, failure: () => Error, stop: () => boolean = () => false): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.items.length; i++) if (pred(this.items[i])) return i;
      if (Date.now() > deadline || stop()) throw failure();
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}
