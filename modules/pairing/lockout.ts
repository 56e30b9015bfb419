// PIN-pairing lockout (spec §PIN-Pairing Lockout, with the project's difference: RAM only, so a reboot
// is the deliberate local operator action that clears it). One failure counter per PIN method, not
// partitioned by server: +1 per inner-authentication failure, reset to zero on success, terminal
// lockout at 10 until cleared by reboot or by management `locked_out: false`.

import type { PinMethod } from "../protocol/names.js";

export const LOCKOUT_THRESHOLD = 10;

export class PinLockout {
  private readonly failures: Record<PinMethod, number> = { static_pin: 0, dynamic_pin: 0 };

  /** `onChange(method, lockedOut)` fires when a method enters or leaves lockout. */
  constructor(private readonly onChange: (method: PinMethod, lockedOut: boolean) => void = () => {}) {}

  isLockedOut(method: PinMethod): boolean {
    return this.failures[method] >= LOCKOUT_THRESHOLD;
  }

  failureCount(method: PinMethod): number {
    return this.failures[method];
  }

  /** An inner-authentication failure (server_kc did not verify). */
  recordFailure(method: PinMethod): void {
    if (this.isLockedOut(method)) return;
    this.failures[method]++;
    if (this.isLockedOut(method)) this.onChange(method, true);
  }

  /** Inner authentication succeeded: the counter resets. */
  recordSuccess(method: PinMethod): void {
    this.failures[method] = 0;
  }

  /** management set-pairing-config `locked_out: false`: exit lockout, counter to zero. */
  clear(method: PinMethod): void {
    const was = this.isLockedOut(method);
    this.failures[method] = 0;
    if (was) this.onChange(method, false);
  }
}
