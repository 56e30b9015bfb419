// Keeps a Wi-Fi station connected: connect, wait for an address, and on failure, timeout or loss retry
// with exponential backoff (1 s doubling to 30 s by default, reset once connected). Portable over the
// shape of ECMA-419's `embedded:network/interface/wifi` (connection: <= 200 disconnected, 300
// connecting, 400 associated, >= 500 has an IP address), so the retry logic is tested off the device.

import type { ClockPort, LogPort, TimerHandle } from "../platform.js";

export interface WifiStation {
  connect(o: { SSID: string; password?: string }): void;
  disconnect(): void;
  readonly connection: number;
  readonly address: string | undefined;
}

export interface WifiKeeperOptions {
  ssid: string;
  password?: string;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Give up on one attempt (no address) after this long. */
  attemptTimeoutMs?: number;
}

export class WifiKeeper {
  private readonly clock: ClockPort;
  private readonly log: LogPort;
  private readonly o: Required<WifiKeeperOptions>;
  private station: WifiStation | undefined;
  private retryMs: number;
  private timer: TimerHandle | undefined;
  private up = false;
  /** An attempt is in flight (its timeout armed): a disconnect now means it failed. */
  private attempting = false;
  /** Connection attempts made (for logs and tests). */
  attempts = 0;
  onUp: ((address: string) => void) | undefined = undefined;
  onDown: (() => void) | undefined = undefined;

  constructor(clock: ClockPort, log: LogPort, o: WifiKeeperOptions) {
    this.clock = clock;
    this.log = log;
    this.o = { password: "", retryMinMs: 1000, retryMaxMs: 30_000, attemptTimeoutMs: 20_000, ...o };
    this.retryMs = this.o.retryMinMs;
  }

  /** Start with a station whose `onChanged` calls `changed()`. */
  start(station: WifiStation): void {
    this.station = station;
    this.attempt();
  }

  /** The station reported a change (its onChanged). */
  changed(): void {
    const s = this.station;
    if (!s) return;
    const c = s.connection;
    if (c >= 500) {
      this.attempting = false;
      this.clock.clear(this.timer);
      this.timer = undefined;
      this.retryMs = this.o.retryMinMs;
      if (!this.up) {
        this.up = true;
        const address = s.address ?? "";
        this.log.log("info", `wifi: connected to "${this.o.ssid}", address ${address}`);
        this.onUp?.(address);
      }
    } else if (c <= 200) {
      if (this.up) {
        this.up = false;
        this.log.log("warn", "wifi: connection lost");
        this.onDown?.();
        this.scheduleRetry();
      } else if (this.attempting) this.scheduleRetry();
    }
  }

  isUp(): boolean {
    return this.up;
  }

  private attempt(): void {
    const s = this.station;
    if (!s) return;
    this.attempts++;
    this.attempting = true;
    this.clock.clear(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.log.log("warn", `wifi: no address after ${this.o.attemptTimeoutMs} ms`);
      try {
        s.disconnect();
      } catch {
        // already down
      }
      this.scheduleRetry();
    }, this.o.attemptTimeoutMs);
    try {
      s.connect(this.o.password ? { SSID: this.o.ssid, password: this.o.password } : { SSID: this.o.ssid });
    } catch (e) {
      this.log.log("warn", `wifi: connect failed: ${String(e)}`);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.up) return;
    this.attempting = false;
    this.clock.clear(this.timer);
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.o.retryMaxMs);
    this.log.log("info", `wifi: retrying in ${wait} ms`);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, wait);
  }
}
