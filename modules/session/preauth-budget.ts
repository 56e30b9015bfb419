// The ration of work that peers who have proven no key may make the speaker do: parsing an upgrade
// request, server/init, Noise message 1 (five X25519 operations) and the pairing messages of an
// unauthenticated connection (CPace). Such work is metered in time actually spent (the clock port), so
// the same share of a core holds on the chip, where one Noise message 1 costs about half a second, and
// in the simulator, where it costs milliseconds. Two token buckets, both in microseconds of work:
//
//   global      refills at `sharePercent` of wall time, holds at most `burstUs`  (shared by all peers)
//   per address refills at a quarter of that, holds a quarter of the burst       (one peer's part)
//
// Work starts only while both buckets of its address hold a positive balance; its measured duration is
// then taken from both (a balance may go negative: the debt is repaid before the next start). Work is
// synchronous, so at most one piece runs at a time; how many connections can wait to do some is bounded
// by the WebSocket server's slot policy. Refused work costs nothing: the caller closes the connection.
// docs/admission.md explains the numbers.

import type { ClockPort } from "../platform.js";
import { addressKey } from "../util/address.js";

export interface PreAuthBudgetOptions {
  readonly clock: ClockPort;
  /** Share of wall time (one core) that pre-authentication work may take, in percent. */
  readonly sharePercent: number;
  /** Work that may run back to back before the share applies, µs (global; per address: a quarter). */
  readonly burstUs: number;
  /** Addresses remembered (oldest forgotten first; a forgotten address starts with a full bucket). */
  readonly maxAddresses?: number;
}

/** Figures for the simulator's stats and the tests. */
export interface PreAuthStats {
  /** Pieces of work run. */
  readonly runs: number;
  /** Pieces refused because a bucket was empty. */
  readonly refused: number;
  /** Work done, µs in total. */
  readonly workUs: number;
}

class Bucket {
  balance: number;
  last: number;
  constructor(
    readonly capacity: number,
    readonly perUs: number,
    now: number,
  ) {
    this.balance = capacity;
    this.last = now;
  }
  refill(now: number): number {
    const b = this.balance + (now - this.last) * this.perUs;
    this.balance = b > this.capacity ? this.capacity : b;
    this.last = now;
    return this.balance;
  }
}

export class PreAuthBudget {
  private readonly clock: ClockPort;
  private readonly global: Bucket;
  private readonly rate: number;
  private readonly addressBurst: number;
  private readonly maxAddresses: number;
  /** Per-address buckets, least recently used first (Map keeps insertion order). */
  private readonly addresses = new Map<string, Bucket>();
  private running = false;
  private runs = 0;
  private refused = 0;
  private workUs = 0;

  constructor(o: PreAuthBudgetOptions) {
    if (!(o.sharePercent > 0 && o.sharePercent <= 100)) throw new RangeError("PreAuthBudget: sharePercent must be in (0, 100]");
    if (!(o.burstUs > 0)) throw new RangeError("PreAuthBudget: burstUs must be positive");
    this.clock = o.clock;
    this.rate = o.sharePercent / 100;
    this.global = new Bucket(o.burstUs, this.rate, o.clock.nowUs());
    this.addressBurst = o.burstUs / 4;
    this.maxAddresses = o.maxAddresses ?? 32;
  }

  /**
   * Run `work` for a peer at `address` if the budget allows, and charge its duration. False (and `work`
   * not run) when the global or the address's bucket is spent.
   */
  run(address: string | undefined, work: () => void): boolean {
    if (this.running) {
      work(); // nested (an upgrade whose bytes carry server/init): the outer run measures it all
      return true;
    }
    const now = this.clock.nowUs();
    const mine = this.bucket(addressKey(address), now);
    if (this.global.refill(now) <= 0 || mine.refill(now) <= 0) {
      this.refused++;
      return false;
    }
    this.running = true;
    try {
      work();
    } finally {
      this.running = false;
      const end = this.clock.nowUs();
      const spent = end > now ? end - now : 0;
      this.global.balance -= spent;
      mine.balance -= spent;
      this.runs++;
      this.workUs += spent;
    }
    return true;
  }

  get stats(): PreAuthStats {
    return { runs: this.runs, refused: this.refused, workUs: this.workUs };
  }

  private bucket(key: string, now: number): Bucket {
    let b = this.addresses.get(key);
    if (b) {
      this.addresses.delete(key); // re-inserted below: most recently used last
    } else {
      b = new Bucket(this.addressBurst, this.rate / 4, now);
      if (this.addresses.size >= this.maxAddresses) {
        // forget the least recently used address whose bucket is full again (it owes nothing); if every
        // remembered address still owes work, the oldest is forgotten anyway (the global bucket still holds)
        let victim: string | undefined;
        for (const [k, v] of this.addresses) {
          if (victim === undefined) victim = k;
          if (v.refill(now) >= v.capacity) {
            victim = k;
            break;
          }
        }
        if (victim !== undefined) this.addresses.delete(victim);
      }
    }
    this.addresses.set(key, b);
    return b;
  }
}
