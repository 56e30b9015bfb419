// DNS messages (RFC 1035) as mDNS uses them (RFC 6762): a strict, bounded decoder and an encoder with
// name compression. Pure code (no sockets), so the simulator's responder is tested by encoding queries
// and decoding responses, never by multicasting.

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_TXT = 16;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
export const TYPE_NSEC = 47;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;

/** Flag bits of the header. */
export const FLAG_RESPONSE = 0x8000;
export const FLAG_AUTHORITATIVE = 0x0400;

/** A domain name as its labels (a label may contain dots: DNS-SD instance names do). */
export type Name = string[];

export interface Question {
  name: Name;
  type: number;
  /** mDNS "QU" bit: the querier asks for a unicast response (RFC 6762 §5.4). */
  unicastResponse: boolean;
}

export type RData =
  | { type: typeof TYPE_A; address: string }
  | { type: typeof TYPE_PTR; target: Name }
  | { type: typeof TYPE_SRV; priority: number; weight: number; port: number; target: Name }
  | { type: typeof TYPE_TXT; strings: Uint8Array[] }
  | { type: number; raw: Uint8Array };

export interface ResourceRecord {
  name: Name;
  /** mDNS cache-flush bit (RFC 6762 §10.2): the record set is unique to this responder. */
  cacheFlush: boolean;
  ttl: number;
  data: RData;
}

export interface Message {
  id: number;
  flags: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

/** The largest mDNS message we build or accept (RFC 6762 §17: 9000 bytes incl. IP/UDP headers). */
export const MAX_MESSAGE_BYTES = 9000;

export function sameName(a: Name, b: Name): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].toLowerCase() !== b[i].toLowerCase()) return false;
  return true;
}

export function nameToString(n: Name): string {
  return n.map((l) => l.replace(/\\/g, "\\\\").replace(/\./g, "\\.")).join(".") + ".";
}

// ---------------------------------------------------------------- encoding

class Writer {
  private buf = new Uint8Array(512);
  length = 0;
  /** Offsets of names already written, by their lower-case dotted suffix, for compression. */
  private readonly names = new Map<string, number>();

  private ensure(n: number): void {
    if (this.length + n > MAX_MESSAGE_BYTES) throw new RangeError("DNS message too large");
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.min(MAX_MESSAGE_BYTES, Math.max(this.buf.length * 2, this.length + n)));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 255;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf[this.length++] = (v >> 8) & 255;
    this.buf[this.length++] = v & 255;
  }

  u32(v: number): void {
    this.u16(Math.floor(v / 0x10000) & 0xffff);
    this.u16(v & 0xffff);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf[at] = (v >> 8) & 255;
    this.buf[at + 1] = v & 255;
  }

  name(n: Name): void {
    for (let i = 0; i < n.length; i++) {
      const key = n.slice(i).map((l) => l.toLowerCase()).join("\u0000");
      const at = this.names.get(key);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x3fff) this.names.set(key, this.length);
      const label = utf8(n[i]);
      if (label.length === 0 || label.length > 63) throw new RangeError(`DNS label of ${label.length} bytes`);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function utf8(s: string): Uint8Array {
  // Node-only module: TextEncoder is fine here (the core uses modules/util/utf8)
  return new TextEncoder().encode(s);
}

function writeRecord(w: Writer, r: ResourceRecord): void {
  w.name(r.name);
  w.u16(r.data.type);
  w.u16(CLASS_IN | (r.cacheFlush ? 0x8000 : 0));
  w.u32(r.ttl);
  const lengthAt = w.length;
  w.u16(0);
  const start = w.length;
  const d = r.data;
  if ("address" in d) {
    const parts = d.address.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`bad IPv4 address ${d.address}`);
    for (const p of parts) w.u8(p);
  } else if ("priority" in d) {
    w.u16(d.priority);
    w.u16(d.weight);
    w.u16(d.port);
    w.name(d.target);
  } else if ("target" in d) {
    w.name(d.target);
  } else if ("strings" in d) {
    if (d.strings.length === 0) w.u8(0); // an empty TXT record is one empty string (RFC 6763 §6.1)
    for (const s of d.strings) {
      if (s.length > 255) throw new RangeError("TXT string over 255 bytes");
      w.u8(s.length);
      w.bytes(s);
    }
  } else w.bytes(d.raw);
  w.setU16(lengthAt, w.length - start);
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
  w.u16(m.id);
  w.u16(m.flags);
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(CLASS_IN | (q.unicastResponse ? 0x8000 : 0));
  }
  for (const r of m.answers) writeRecord(w, r);
  for (const r of m.authorities) writeRecord(w, r);
  for (const r of m.additionals) writeRecord(w, r);
  return w.result();
}

// ---------------------------------------------------------------- decoding

class Malformed extends Error {}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  need(n: number): void {
    if (this.pos + n > this.b.length) throw new Malformed("truncated");
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = (this.b[this.pos] << 8) | this.b[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }

  /** A (possibly compressed) name at the current position; pointers must go strictly backwards. */
  name(): Name {
    const labels: Name = [];
    let pos = this.pos;
    let jumped = false;
    let total = 0;
    for (;;) {
      if (pos >= this.b.length) throw new Malformed("truncated name");
      const len = this.b[pos];
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.b.length) throw new Malformed("truncated pointer");
        const target = ((len & 0x3f) << 8) | this.b[pos + 1];
        if (target >= pos) throw new Malformed("forward or looping name pointer");
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new Malformed("reserved label type");
      pos++;
      if (len === 0) break;
      if (pos + len > this.b.length) throw new Malformed("truncated label");
      total += len + 1;
      if (total > 255) throw new Malformed("name too long");
      const text = decodeUtf8(this.b.subarray(pos, pos + len));
      if (text === undefined) throw new Malformed("label is not UTF-8");
      labels.push(text);
      pos += len;
    }
    if (!jumped) this.pos = pos;
    return labels;
  }
}

function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

function readRecord(r: Reader): ResourceRecord {
  const name = r.name();
  const type = r.u16();
  const cls = r.u16();
  const ttl = r.u32();
  const len = r.u16();
  r.need(len);
  const end = r.pos + len;
  let data: RData;
  if (type === TYPE_A && len === 4) {
    data = { type, address: `${r.b[r.pos]}.${r.b[r.pos + 1]}.${r.b[r.pos + 2]}.${r.b[r.pos + 3]}` };
  } else if (type === TYPE_PTR) {
    data = { type, target: r.name() };
  } else if (type === TYPE_SRV) {
    data = { type, priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
  } else if (type === TYPE_TXT) {
    const strings: Uint8Array[] = [];
    let p = r.pos;
    while (p < end) {
      const n = r.b[p];
      if (p + 1 + n > end) throw new Malformed("TXT string overruns its record");
      strings.push(r.b.slice(p + 1, p + 1 + n));
      p += 1 + n;
    }
    data = { type, strings };
  } else {
    data = { type, raw: r.b.slice(r.pos, end) };
  }
  if (r.pos > end) throw new Malformed("record data overruns its length");
  r.pos = end;
  if ((cls & 0x7fff) !== CLASS_IN) data = { type, raw: new Uint8Array(0) };
  return { name, cacheFlush: (cls & 0x8000) !== 0, ttl, data };
}

/** Decode a DNS message; undefined when it is malformed in any way (inbound packets are hostile). */
export function decodeMessage(bytes: Uint8Array): Message | undefined {
  if (bytes.length < 12 || bytes.length > MAX_MESSAGE_BYTES) return undefined;
  try {
    const r = new Reader(bytes);
    const id = r.u16();
    const flags = r.u16();
    const qd = r.u16(), an = r.u16(), ns = r.u16(), ar = r.u16();
    // every question takes at least 5 bytes and every record 11: refuse counts the packet cannot hold
    if (qd * 5 + (an + ns + ar) * 11 > bytes.length - 12) return undefined;
    const questions: Question[] = [];
    for (let i = 0; i < qd; i++) {
      const name = r.name();
      const type = r.u16();
      const cls = r.u16();
      questions.push({ name, type, unicastResponse: (cls & 0x8000) !== 0 });
    }
    const records = (n: number) => {
      const out: ResourceRecord[] = [];
      for (let i = 0; i < n; i++) out.push(readRecord(r));
      return out;
    };
    const answers = records(an);
    const authorities = records(ns);
    const additionals = records(ar);
    return { id, flags, questions, answers, authorities, additionals };
  } catch (e) {
    if (e instanceof Malformed || e instanceof RangeError) return undefined;
    throw e;
  }
}
