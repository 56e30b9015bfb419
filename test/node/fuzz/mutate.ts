// Seeded generators of hostile JSON values and byte strings for the session fuzz test: wrong types,
// missing and extra fields, huge strings and arrays, deep nesting, wrong base64url lengths, bad UTF-8.

import { SeededRandom } from "../../support/random.js";

export class Mutator {
  /** Share of the size attacks (huge strings and arrays, deep nesting) among the values drawn. */
  heavyRate = 1;

  constructor(readonly g: SeededRandom) {}

  private heavy(): boolean {
    return this.heavyRate >= 1 || this.chance(this.heavyRate);
  }

  below(n: number): number {
    return this.g.below(n);
  }

  pick<T>(a: readonly T[]): T {
    return a[this.g.below(a.length)];
  }

  chance(p: number): boolean {
    return this.g.below(1_000_000) < p * 1_000_000;
  }

  /** A string from the troublesome families. */
  string(): string {
    switch (this.below(12)) {
      case 0:
        return "";
      case 1:
        return "x";
      case 2:
        return "é漢😀\u0000\u001f";
      case 3:
        return "\ud800";
      case 4:
        return this.heavy() ? "A".repeat(this.pick([1000, 30000, 70000])) : "AAAA";
      case 5:
        return this.b64(this.pick([31, 32, 33, 64]));
      case 6:
        return this.b64(32).slice(0, 42);
      case 7:
        return this.b64(32) + "A";
      case 8:
        return this.b64(32).slice(0, 42) + "=";
      case 9:
        return "playback";
      case 10:
        return "management/" + this.pick(["list-records", "add-record", "x"]);
      default:
        return this.pick(["pairing", "static_pin", "dynamic_pin", "pairing_psk", "player@v1", "user", "none"]);
    }
  }

  /** Random base64url text of `n` bytes (canonical). */
  b64(n: number): string {
    const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const len = Math.floor(n / 3) * 4 + [0, 2, 3][n % 3];
    let s = "";
    for (let i = 0; i < len; i++) s += A[this.below(64)];
    // canonical trailing bits
    if (n % 3 === 1) s = s.slice(0, -1) + A[this.below(4) * 16];
    if (n % 3 === 2) s = s.slice(0, -1) + A[this.below(16) * 4];
    return s;
  }

  /** A base64url string broken in one of the ways strict decoding must refuse. */
  badB64(s: string): string {
    switch (this.below(7)) {
      case 0:
        return s.slice(0, -1);
      case 1:
        return s + "A";
      case 2:
        return s.slice(0, -1) + "+";
      case 3:
        return s + "=";
      case 4:
        return " " + s.slice(1);
      case 5:
        return s.slice(0, -1) + "/";
      default: {
        // non-canonical trailing bits (43 chars = 32 bytes: the last char carries 2 spare bits)
        const A = "BCDFGHJKLNOPRSTVWXZ";
        return s.slice(0, -1) + A[this.below(A.length)];
      }
    }
  }

  deep(depth: number): unknown {
    let v: unknown = this.below(2) ? 0 : {};
    for (let i = 0; i < depth; i++) v = this.below(2) ? [v] : { a: v };
    return v;
  }

  scalar(): unknown {
    switch (this.below(16)) {
      case 0:
        return 0;
      case 1:
        return -1;
      case 2:
        return 1.5;
      case 3:
        return 2 ** 53 + 2;
      case 4:
        return 1e308;
      case 5:
        return true;
      case 6:
        return false;
      case 7:
        return null;
      case 8:
        return [];
      case 9:
        return {};
      case 10:
        return this.deep(this.heavy() ? 1 + this.below(40) : 1 + this.below(3));
      case 11:
        return new Array(this.heavy() ? this.pick([10, 600, 5000]) : 10).fill(0);
      case 12:
        return [this.string(), this.string()];
      case 13:
        return { [this.string().slice(0, 20)]: this.string() };
      default:
        return this.string();
    }
  }

  /** One to three structural mutations of a JSON value. */
  value(v: unknown, rounds = 1 + this.below(3)): unknown {
    let out = clone(v);
    for (let i = 0; i < rounds; i++) out = this.once(out, 0);
    return out;
  }

  private once(v: unknown, depth: number): unknown {
    if (Array.isArray(v)) {
      const a = v.slice();
      switch (this.below(5)) {
        case 0:
          if (a.length) a.splice(this.below(a.length), 1);
          return a;
        case 1:
          a.push(this.scalar());
          return a;
        case 2:
          if (a.length) {
            const i = this.below(a.length);
            a[i] = this.once(a[i], depth + 1);
          }
          return a;
        case 3:
          if (a.length) a.push(a[0]); // duplicate member
          return a;
        default:
          return this.scalar();
      }
    }
    if (v !== null && typeof v === "object") {
      const o = { ...(v as Record<string, unknown>) };
      const keys = Object.keys(o);
      switch (this.below(5)) {
        case 0:
          if (keys.length) delete o[this.pick(keys)];
          return o;
        case 1:
          // defineProperty: an own "__proto__" key, as JSON.parse would create it
          Object.defineProperty(o, this.pick(["extra", "_x", "__proto__", "constructor", "type", "payload", this.string().slice(0, 8)]), { value: this.scalar(), enumerable: true, writable: true, configurable: true });
          return o;
        case 2:
        case 3:
          if (keys.length) {
            const k = this.pick(keys);
            o[k] = this.once(o[k], depth + 1);
          }
          return o;
        default:
          return depth === 0 ? o : this.scalar();
      }
    }
    if (typeof v === "string" && /^[A-Za-z0-9_-]{40,90}$/.test(v) && this.below(2)) return this.badB64(v);
    return this.scalar();
  }

  /** Byte-level damage to a serialized message. */
  bytes(b: Uint8Array): Uint8Array {
    switch (this.below(6)) {
      case 0:
        return b.subarray(0, this.below(b.length + 1));
      case 1: {
        const c = b.slice();
        if (c.length) c[this.below(c.length)] ^= 1 << this.below(8);
        return c;
      }
      case 2: {
        const c = new Uint8Array(b.length + 1);
        const at = this.below(b.length + 1);
        c.set(b.subarray(0, at), 0);
        c[at] = this.pick([0xff, 0xc0, 0xed, 0x80, 0x00]);
        c.set(b.subarray(at), at + 1);
        return c;
      }
      case 3: {
        const n = this.pick([9, 100, 5000]);
        const open = new TextEncoder().encode('{"type":"x","payload":' + "[".repeat(n));
        const close = new TextEncoder().encode("]".repeat(n) + "}");
        const c = new Uint8Array(open.length + close.length);
        c.set(open, 0);
        c.set(close, open.length);
        return c;
      }
      case 4: {
        const c = new Uint8Array(this.below(64));
        this.g.fill(c);
        return c;
      }
      default:
        return new TextEncoder().encode(JSON.stringify(this.scalar()) ?? "null");
    }
  }
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * Depth and value count as the bounded parser counts them (containers, and separators outside strings),
 * iteratively: hostile values nest deeper than the call stack allows.
 */
export function jsonShape(v: unknown): { depth: number; values: number } {
  let depth = 0;
  let values = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== "object") continue;
    const items = Array.isArray(x) ? x : Object.values(x as Record<string, unknown>);
    if (d > depth) depth = d;
    values += 1 + Math.max(0, items.length - 1);
    for (const it of items) stack.push([it, d + 1]);
  }
  return { depth, values };
}
