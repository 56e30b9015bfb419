// The static-PIN pairing window (spec §Pairing window): opened by an operator gesture (a short button
// press), it admits exactly one attempt. Its lifetime (5 minutes) runs from opening until
// client/pair-init is sent; the attempt then holds it until the attempt ends. It closes on completion,
// inner-authentication failure, pair/abort, connection drop, operator cancellation, lifetime expiry or
// attempt-timeout expiry: the owner of the attempt calls close() for each of those. RAM only.
//
// The current revision's window (sendspin-spec-current.md §Pairing Window) is the same device window
// (one button, one static secret) with other rules, used through hold()/failed()/release(): it admits
// several attempts, but only on the connection that carried its first; its lifetime runs on through
// attempts; it closes on a completed pairing, the 5th failed server_kc, that connection's drop, operator
// cancellation or lifetime expiry (an attempt in progress then runs to its own end).

import type { ClockPort, TimerHandle } from "../platform.js";

export const WINDOW_LIFETIME_MS = 5 * 60 * 1000;

/** Failed attempts (server_kc did not verify) that close a current-revision window. */
export const WINDOW_MAX_FAILURES = 5;

export type WindowState = "closed" | "open" | "in_use" | "held";

export class PairingWindow {
  private stateValue: WindowState = "closed";
  private timer: TimerHandle | undefined;
  private holder: object | null = null;
  private failures = 0;

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
      if (this.stateValue === "open" || this.stateValue === "held") this.close(); // expiry closes silently (no message to any server)
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
    this.holder = null;
    this.failures = 0;
    if (this.stateValue === "closed") return;
    this.stateValue = "closed";
    this.onChange(false);
  }

  /**
   * Current revision: an attempt of `owner` (its connection) starts under the window. True when the window
   * is open, or already held by the same owner; the lifetime keeps running.
   */
  hold(owner: object): boolean {
    if (this.stateValue === "open") {
      this.stateValue = "held";
      this.holder = owner;
      this.failures = 0;
      return true;
    }
    return this.stateValue === "held" && this.holder === owner;
  }

  /** The window is held by `owner`. */
  heldBy(owner: object): boolean {
    return this.stateValue === "held" && this.holder === owner;
  }

  /** A failed attempt of the holder: the 5th closes the window. */
  failed(owner: object): void {
    if (!this.heldBy(owner)) return;
    if (++this.failures >= WINDOW_MAX_FAILURES) this.close();
  }

  /** Completed pairing or the holder's connection dropped: close when `owner` holds the window. */
  release(owner: object): void {
    if (this.heldBy(owner)) this.close();
  }
}
