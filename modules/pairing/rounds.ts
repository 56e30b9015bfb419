// The current revision's brute-force bound on the dynamic pairing code (sendspin-spec-current.md §Rounds):
// after 20 rounds since the last verified server_kc the client aborts instead of retrying, and holds later
// attempts back (client/pair-pending) until a deliberate operator action resets the count. The count is
// the device's, not split by server or address. RAM only, like the baseline lockout (the project's
// reading of "operator action": a reboot is one, docs/current-revision.md); the baseline's PIN lockout
// (lockout.ts) is a separate counter for baseline connections.

export const ROUND_LIMIT = 20;

export class RoundLimit {
  private rounds = 0;

  /** Rounds begun since the last verified server_kc (or operator reset). */
  get count(): number {
    return this.rounds;
  }

  /** The limit is reached: abort instead of retrying, hold new attempts back. */
  get reached(): boolean {
    return this.rounds >= ROUND_LIMIT;
  }

  /** A round begins (server/pair-init: the code is emitted); a cancelled round has counted already. */
  begin(): void {
    this.rounds++;
  }

  /** server_kc verified: the count starts again. */
  verified(): void {
    this.rounds = 0;
  }

  /** The operator's deliberate action (a short press while an attempt is held back). */
  reset(): void {
    this.rounds = 0;
  }
}
