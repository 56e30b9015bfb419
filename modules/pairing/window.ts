// The static-PIN pairing window (spec §Pairing window): opened by an operator gesture (a short button
// press), it admits exactly one attempt. Its lifetime (5 minutes) runs from opening until
// client/pair-init is sent; the attempt then holds it until the attempt ends. It closes on completion,
// inner-authentication failure, pair/abort, connection drop, operator cancellation, lifetime expiry or
// attempt-timeout expiry: the owner of the attempt calls close() for each of those. RAM only.

import type { ClockPort, TimerHandle } from "../platform.js";

export const WINDOW_LIFETIME_MS = 5 * 60 * 1000;

export type WindowState = "closed" | "open" | "in_use";

export class PairingWindow {
  private stateValue: WindowState = "closed";
  private timer: TimerHandle | undefined;

  /** `onChange(open)` fires on every transition between closed and open/in use. */
  constructor(
    private readonly clock: ClockPort,
    private readonly onChange: (open: boolean) => void,
    private readonly lifetimeMs = WINDOW_LIFETIME_MS,
  ) {}

  get state(): WindowState {
    return this.stateValue;
  }

  /** Waiting for an attempt (opened, not yet used). */
  get isOpen(): boolean {
    return this.stateValue === "open";
  }

  /** The operator's gesture. Returns false when a window is already open or in use (nothing changes). */
  open(): boolean {
    if (this.stateValue !== "closed") return false;
    this.stateValue = "open";
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stateValue === "open") this.close(); // expiry closes silently (no message to any server)
    }, this.lifetimeMs);
    this.onChange(true);
    return true;
  }

  /** client/pair-init is being sent: the single attempt takes the window. Returns false if it was not open. */
  consume(): boolean {
    if (this.stateValue !== "open") return false;
    this.clock.clear(this.timer);
    this.timer = undefined;
    this.stateValue = "in_use";
    return true;
  }

  close(): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
    if (this.stateValue === "closed") return;
    this.stateValue = "closed";
    this.onChange(false);
  }
}
