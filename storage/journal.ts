// The power-cut-safe layer under the Store: a log of fixed-size, self-checking units on NOR flash, with
// full-snapshot compaction into fresh blocks. It knows nothing of records or settings: it stores, for
// each of S keys (0..S-1), the latest 108-byte payload written for it.
//
// Why a log with snapshot compaction (and not A/B copies or in-place slots): a mutation is then ONE
// 128-byte unit write, the commit point, with no erase at all in the common case; erases happen only
// when a block is opened, and blocks are opened strictly in ring order, so every block of the partition
// wears at the same rate (their erase counts never differ by more than one in normal operation).
//
// On flash (unit = 128 bytes; a block of B bytes holds U = B/128 units):
//   unit 0 of a block = block header, written twice (bytes 0..31 and 32..63, one write; either valid
//   copy will do, so one damaged bit does not lose the block; the rest stays 0xFF):
//     magic "SSPK" | version 1 | S | index of the block in its generation | 0 | generation u32 BE |
//     store id (4 random bytes drawn at format) | check: SHA-256("sendspin-store-v1 header" || bytes 0..15)[0..16]
//   units 1..U-1 = entries:
//     kind (0xD1 data, 0xC0 commit) | key | 0 | 0 | payload (108 bytes) |
//     check: SHA-256("sendspin-store-v1 unit" || generation || store id || block index || unit || bytes 0..111)[0..16]
//   The check binds a unit to its place, so a unit is valid only where it was written.
//
// A generation is a run of blocks (index 0, 1, ...) that starts with a snapshot: the S keys in order,
// then a commit unit; log entries follow, one per mutation. A generation counts as written (committed)
// once any valid unit sits at or after the commit position. Mount takes the newest committed
// generation and, per key, its latest valid unit; it ignores everything else.
//
// Power-cut argument (every step below is either invisible to mount or the single commit write):
// - A mutation appends one unit. A cut write leaves a unit that fails its check: mount skips it (old
//   state); the complete write is the new state. The next append goes after it (never over it).
// - Opening a block (the head is full): erase the next block in ring order that is outside the current
//   generation, then write its header. Such a block holds nothing current, so a cut erase or header
//   changes nothing mount uses; a header without entries is an empty extension.
// - Compaction (the generation has reached its maximum length): write a snapshot of the current state
//   and a commit unit into blocks outside the current generation, under a new generation number (one
//   above any header ever seen, so a stale or unfinished generation is never reused). Until the commit
//   unit is valid, mount still picks the old generation, untouched; after it, the new one, which holds
//   the same state. Only then does the mutation append its unit. The old generation's blocks become free
//   and are erased when the ring reaches them again.
// - Format (blank or unreadable flash) is a compaction under a fresh store id: until its commit, mount
//   finds nothing committed and formats again.
//
// Wear bound, with K = ceil((S + 2) / C) and C = U - 1 entries per block: a mutation costs 1 unit write
// and no erase when the head block has room; at most 1 erase and 2 writes when it opens a block; at most
// K erases and S + 2 + K writes when it compacts (snapshot S units + commit + the mutation's unit + a
// header per opened block). A generation may grow to G = min(B - ceil((S + 1) / C), 255) blocks, so
// compaction happens once every G·C - S - 1 mutations: amortized erases per mutation are
// G / (G·C - S - 1), spread evenly over all blocks. The partition needs at least 2K blocks.

import type { CryptoProvider } from "../crypto/provider.js";
import { utf8Encode } from "../modules/util/utf8.js";
import type { FlashPort } from "./flash.js";

export const UNIT_BYTES = 128;
export const CHECK_BYTES = 16;
/** Unit bytes covered by the check. */
export const BODY_BYTES = UNIT_BYTES - CHECK_BYTES;
export const PAYLOAD_OFFSET = 4;
export const PAYLOAD_BYTES = BODY_BYTES - PAYLOAD_OFFSET;

/** One copy of the block header; the header unit holds two. */
const HEADER_BYTES = 32;
const HEADER_FIELDS = 16;
const MAGIC0 = 0x53, MAGIC1 = 0x53, MAGIC2 = 0x50, MAGIC3 = 0x4b; // "SSPK"
const VERSION = 1;
const KIND_DATA = 0xd1;
const KIND_COMMIT = 0xc0;
const MAX_GENERATION_BLOCKS = 255;

const HEADER_DOMAIN = utf8Encode("sendspin-store-v1 header");
const UNIT_DOMAIN = utf8Encode("sendspin-store-v1 unit");

/** What a compaction writes: the current payload of every key. */
export interface SnapshotSource {
  /** S, the number of keys. */
  readonly size: number;
  /** Fill `payload` (108 bytes, zeroed) with the current value of `key`. */
  encode(key: number, payload: Uint8Array): void;
}

export interface MountScan {
  /** A committed generation was found (false: blank or unreadable flash, format needed). */
  committed: boolean;
  /** S of the mounted generation. */
  snapshotSize: number;
  /** Per key, where its latest valid unit is (pass to readPayload), or -1 when the generation has none. */
  latest: Int32Array;
  /** Non-blank units of the mounted generation that failed their check (interrupted writes, damage). */
  damagedUnits: number;
  /** Newer generations with no commit (interrupted compactions or formats), ignored. */
  unfinished: number;
  /** Blocks whose header area holds anything but 0xFF. */
  blocksWithData: number;
}

export interface JournalStatus {
  /** Number of the mounted generation (one more at every compaction). */
  generation: number;
  /** Blocks it spans, and the most it may span before the next compaction. */
  generationBlocks: number;
  maxGenerationBlocks: number;
  /** Units left in its last block: 0 means the next mutation opens a block or compacts. */
  headRoom: number;
}

/** Blocks a partition needs for S keys with U units per block. */
export function minimumBlocks(snapshotSize: number, unitsPerBlock: number): number {
  return 2 * Math.ceil((snapshotSize + 2) / (unitsPerBlock - 1));
}

interface BlockHeader {
  block: number;
  gen: number;
  index: number;
  size: number;
  storeId: number;
  /** Its check was verified (mount parses first and verifies only the headers it uses). */
  verified: boolean;
}

export class Journal {
  readonly blockCount: number;
  readonly unitsPerBlock: number;
  readonly entriesPerBlock: number;
  private readonly flash: FlashPort;
  private readonly crypto: CryptoProvider;
  // The mounted generation.
  private gen = 0;
  private storeId = 0;
  private size = 0;
  private genBlocks: number[] = [];
  private lastIndex = -1;
  /** Next unit to write in the last block; unitsPerBlock when full (or when there is no block). */
  private head = 0;
  /** Highest generation number in any valid header seen or written. */
  private maxGen = 0;
  // Scratch buffers, reused (no allocation per unit beyond the hash).
  private readonly unit = new Uint8Array(UNIT_BYTES);
  private readonly header = new Uint8Array(2 * HEADER_BYTES);
  private readonly position = new Uint8Array(10);

  constructor(flash: FlashPort, crypto: CryptoProvider) {
    this.flash = flash;
    this.crypto = crypto;
    this.blockCount = Math.floor(flash.byteLength / flash.blockSize);
    this.unitsPerBlock = Math.floor(flash.blockSize / UNIT_BYTES);
    this.entriesPerBlock = this.unitsPerBlock - 1;
  }

  /** Maximum blocks of a generation with S keys before it is compacted. */
  maxGenerationBlocks(size = this.size): number {
    return Math.min(this.blockCount - Math.ceil((size + 1) / this.entriesPerBlock), MAX_GENERATION_BLOCKS);
  }

  /** Mutations between two compactions once a generation has reached its maximum length. */
  mutationsPerGeneration(size = this.size): number {
    return this.maxGenerationBlocks(size) * this.entriesPerBlock - size - 1;
  }

  /** Where the log stands (diagnostics, tests, benchmarks). */
  status(): JournalStatus {
    return {
      generation: this.gen,
      generationBlocks: this.genBlocks.length,
      maxGenerationBlocks: this.maxGenerationBlocks(),
      headRoom: this.genBlocks.length === 0 ? 0 : this.unitsPerBlock - this.head,
    };
  }

  /** True when a snapshot of `size` keys fits in the blocks outside the mounted generation. */
  canRewrite(size: number): boolean {
    const needed = Math.ceil((size + 1) / this.entriesPerBlock);
    return this.freeBlocksAfterHead(needed).length >= needed && this.maxGenerationBlocks(size) * this.entriesPerBlock >= size + 2;
  }

  /** Read the partition and select the newest committed generation. Never throws on content. */
  mount(): MountScan {
    // Headers are parsed first and their checks verified only when used: the highest generation number
    // (for the next one), and the blocks of the generations examined. The others cost no hashing.
    let parsed: BlockHeader[] = [];
    let blocksWithData = 0;
    for (let b = 0; b < this.blockCount; b++) {
      const h = this.readHeader(b, false);
      if (h === "blank") continue;
      blocksWithData++;
      if (h !== null) parsed.push(h);
    }
    parsed.sort((a, b) => b.gen - a.gen || a.index - b.index || a.block - b.block);
    this.maxGen = 0;
    for (const h of parsed) {
      if (this.verify(h)) {
        this.maxGen = h.gen;
        break;
      }
    }
    parsed = parsed.filter((h) => h.verified || h.gen <= this.maxGen);
    let unfinished = 0;
    for (let i = 0; i < parsed.length; ) {
      let j = i;
      while (j < parsed.length && parsed[j].gen === parsed[i].gen) j++;
      const group = parsed.slice(i, j).filter((h) => this.verify(h));
      i = j;
      if (group.length === 0) continue;
      const scan = this.scanGeneration(group);
      if (scan) {
        scan.unfinished = unfinished;
        scan.blocksWithData = blocksWithData;
        return scan;
      }
      unfinished++;
    }
    this.gen = 0;
    this.size = 0;
    this.genBlocks = [];
    this.lastIndex = -1;
    this.head = this.unitsPerBlock;
    return { committed: false, snapshotSize: 0, latest: new Int32Array(0), damagedUnits: 0, unfinished, blocksWithData };
  }

  /** Copy the payload of the unit at `location` (from MountScan.latest) into `into` (108 bytes). */
  readPayload(location: number, into: Uint8Array): void {
    this.flash.read(this.unitOffset(Math.floor(location / this.unitsPerBlock), location % this.unitsPerBlock) + PAYLOAD_OFFSET, PAYLOAD_BYTES, into);
  }

  /**
   * Salvage: the newest valid payload accepted by `accept`, in generations of the mounted store other
   * than the mounted one (newest generation first, latest unit first). For a key lost to damage only.
   */
  findInOtherGenerations(accept: (payload: Uint8Array) => boolean): Uint8Array | undefined {
    const headers: BlockHeader[] = [];
    for (let b = 0; b < this.blockCount; b++) {
      const h = this.readHeader(b, true);
      if (h !== null && h !== "blank" && h.storeId === this.storeId && h.gen !== this.gen) headers.push(h);
    }
    headers.sort((a, b) => b.gen - a.gen || b.index - a.index);
    const payload = new Uint8Array(PAYLOAD_BYTES);
    for (const h of headers) {
      for (let u = this.unitsPerBlock - 1; u >= 1; u--) {
        if (this.readUnit(h, u) !== KIND_DATA) continue;
        payload.set(this.unit.subarray(PAYLOAD_OFFSET, BODY_BYTES));
        if (accept(payload)) return payload;
      }
    }
    return undefined;
  }

  /** Append the new payload of `key`: the commit point of one mutation. May open a block or compact first. */
  append(key: number, payload: Uint8Array, snapshot: SnapshotSource): void {
    if (this.head >= this.unitsPerBlock) {
      if (this.genBlocks.length < this.maxGenerationBlocks()) this.openNext();
      else {
        this.rewrite(snapshot, false);
        if (this.head >= this.unitsPerBlock) this.openNext();
      }
    }
    this.writeUnit(KIND_DATA, key, payload);
  }

  /**
   * Write `snapshot` as a new committed generation in blocks outside the mounted one. `fresh`: a new
   * store (format): a new store id, and nothing of the old content is kept.
   */
  rewrite(snapshot: SnapshotSource, fresh: boolean): void {
    const size = snapshot.size;
    if (size < 1 || size > 255) throw new RangeError("journal: snapshot size out of range");
    if (fresh) {
      this.genBlocks = [];
      this.storeId = this.randomStoreId();
    }
    const needed = Math.ceil((size + 1) / this.entriesPerBlock);
    const targets = this.freeBlocksAfterHead(needed);
    if (targets.length < needed) throw new Error("journal: no room to compact (partition too small for the table)");
    const gen = this.maxGen + 1;
    const payload = new Uint8Array(PAYLOAD_BYTES);
    let t = 0;
    this.gen = gen;
    this.size = size;
    this.genBlocks = [];
    this.lastIndex = -1;
    this.head = this.unitsPerBlock;
    for (let key = 0; key <= size; key++) {
      if (this.head >= this.unitsPerBlock) this.open(targets[t++]);
      if (key < size) {
        payload.fill(0);
        snapshot.encode(key, payload);
        this.writeUnit(KIND_DATA, key, payload);
      } else {
        payload.fill(0);
        this.writeUnit(KIND_COMMIT, 0, payload);
      }
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private unitOffset(block: number, unit: number): number {
    return block * this.flash.blockSize + unit * UNIT_BYTES;
  }

  /**
   * "blank" (all 0xFF), null (damaged or foreign), or the parsed header. Unless `verify`, two identical
   * copies are returned unverified (one hash later, if the header is used); copies that differ (one is
   * damaged) are verified at once, and the valid one returned.
   */
  private readHeader(block: number, verify: boolean): BlockHeader | "blank" | null {
    const h = this.flash.read(this.unitOffset(block, 0), 2 * HEADER_BYTES, this.header);
    if (isBlank(h, 2 * HEADER_BYTES)) return "blank";
    const a = h.subarray(0, HEADER_BYTES), b = h.subarray(HEADER_BYTES, 2 * HEADER_BYTES);
    let same = true;
    for (let i = 0; i < HEADER_BYTES; i++) if (a[i] !== b[i]) same = false;
    if (same && !verify) return this.parseHeader(block, a, false);
    return this.parseHeader(block, a, true) ?? (same ? null : this.parseHeader(block, b, true));
  }

  /** Verify a header parsed unverified (its two copies are identical: checking one is enough). */
  private verify(h: BlockHeader): boolean {
    if (h.verified) return true;
    const raw = this.flash.read(this.unitOffset(h.block, 0), HEADER_BYTES, this.header);
    h.verified = this.parseHeader(h.block, raw, true) !== null;
    return h.verified;
  }

  private parseHeader(block: number, h: Uint8Array, check: boolean): BlockHeader | null {
    if (h[0] !== MAGIC0 || h[1] !== MAGIC1 || h[2] !== MAGIC2 || h[3] !== MAGIC3 || h[4] !== VERSION || h[5] === 0 || h[7] !== 0) return null;
    if (check) {
      const digest = this.crypto.sha256(HEADER_DOMAIN, h.subarray(0, HEADER_FIELDS));
      for (let i = 0; i < CHECK_BYTES; i++) if (digest[i] !== h[HEADER_FIELDS + i]) return null;
    }
    return { block, size: h[5], index: h[6], gen: readU32(h, 8), storeId: readU32(h, 12), verified: check };
  }

  /**
   * Read unit `u` of a block with header `h` into this.unit and verify it: returns its kind (KIND_DATA
   * with a key below the generation's S, or KIND_COMMIT), 0 for a blank unit, -1 for a damaged one.
   */
  private readUnit(h: BlockHeader, u: number): number {
    const unit = this.flash.read(this.unitOffset(h.block, u), UNIT_BYTES, this.unit);
    return isBlank(unit, UNIT_BYTES) ? 0 : this.verifyUnit(h, u, unit);
  }

  /** Verify a non-blank unit read from unit `u` of a block with header `h`: its kind, or -1. */
  private verifyUnit(h: BlockHeader, u: number, unit: Uint8Array): number {
    const digest = this.unitCheck(h.gen, h.storeId, h.index, u, unit);
    for (let i = 0; i < CHECK_BYTES; i++) if (digest[i] !== unit[BODY_BYTES + i]) return -1;
    const kind = unit[0];
    if (kind === KIND_DATA && unit[1] < h.size && unit[2] === 0 && unit[3] === 0) return KIND_DATA;
    if (kind === KIND_COMMIT) return KIND_COMMIT;
    return -1;
  }

  private unitCheck(gen: number, storeId: number, index: number, u: number, unit: Uint8Array): Uint8Array {
    const p = this.position;
    writeU32(p, 0, gen);
    writeU32(p, 4, storeId);
    p[8] = index;
    p[9] = u;
    return this.crypto.sha256(UNIT_DOMAIN, p, unit.subarray(0, BODY_BYTES));
  }

  /** Scan one generation (its headers sorted by index); returns the scan when it is committed. */
  private scanGeneration(all: BlockHeader[]): MountScan | null {
    // Members: the blocks agreeing with the lowest-index one on store id and S, one per index.
    const ref = all[0];
    const members: BlockHeader[] = [];
    for (const h of all) {
      if (h.storeId !== ref.storeId || h.size !== ref.size) continue;
      if (members.length > 0 && members[members.length - 1].index === h.index) continue;
      members.push(h);
    }
    const size = ref.size;
    const latest = new Int32Array(size).fill(-1);
    let committed = false;
    let damaged = 0;
    let head = 0;
    // Newest unit first. A unit claiming a key already resolved is not verified: it is either a valid
    // older copy of that key or damaged, skipped either way. So a mount verifies about S units, not the
    // whole log (it still reads every unit: the head is after the last one that is not blank).
    for (let m = members.length - 1; m >= 0; m--) {
      const h = members[m];
      for (let u = this.unitsPerBlock - 1; u >= 1; u--) {
        const unit = this.flash.read(this.unitOffset(h.block, u), UNIT_BYTES, this.unit);
        if (isBlank(unit, UNIT_BYTES)) continue;
        if (head === 0) head = u + 1;
        const beyondSnapshot = h.index * this.entriesPerBlock + u - 1 >= size;
        if (unit[0] === KIND_DATA && unit[1] < size && latest[unit[1]] >= 0) continue;
        if (unit[0] === KIND_COMMIT && (committed || !beyondSnapshot)) continue;
        const kind = this.verifyUnit(h, u, unit);
        if (kind < 0) {
          damaged++;
          continue;
        }
        if (kind === KIND_DATA) latest[unit[1]] = h.block * this.unitsPerBlock + u;
        if (beyondSnapshot) committed = true;
      }
      if (head === 0 && m === members.length - 1) head = 1;
    }
    if (!committed) return null;
    this.gen = ref.gen;
    this.storeId = ref.storeId;
    this.size = size;
    this.genBlocks = members.map((h) => h.block);
    this.lastIndex = members[members.length - 1].index;
    this.head = head;
    return { committed: true, snapshotSize: size, latest, damagedUnits: damaged, unfinished: 0, blocksWithData: 0 };
  }

  /** Up to `count` blocks outside the mounted generation, in ring order after its last block. */
  private freeBlocksAfterHead(count: number): number[] {
    const out: number[] = [];
    const start = this.genBlocks.length > 0 ? this.genBlocks[this.genBlocks.length - 1] : this.blockCount - 1;
    for (let i = 1; i <= this.blockCount && out.length < count; i++) {
      const b = (start + i) % this.blockCount;
      if (this.genBlocks.indexOf(b) < 0) out.push(b);
    }
    return out;
  }

  /** Extend the mounted generation by the next free block in ring order. */
  private openNext(): void {
    const next = this.freeBlocksAfterHead(1);
    if (next.length === 0 || this.lastIndex >= MAX_GENERATION_BLOCKS - 1) throw new Error("journal: no free block");
    this.open(next[0]);
  }

  /** Erase `block` and make it the next block of the current generation. */
  private open(block: number): void {
    this.flash.eraseBlock(block);
    const index = this.lastIndex + 1;
    const h = this.header;
    h[0] = MAGIC0;
    h[1] = MAGIC1;
    h[2] = MAGIC2;
    h[3] = MAGIC3;
    h[4] = VERSION;
    h[5] = this.size;
    h[6] = index;
    h[7] = 0;
    writeU32(h, 8, this.gen);
    writeU32(h, 12, this.storeId);
    h.set(this.crypto.sha256(HEADER_DOMAIN, h.subarray(0, HEADER_FIELDS)).subarray(0, CHECK_BYTES), HEADER_FIELDS);
    h.copyWithin(HEADER_BYTES, 0, HEADER_BYTES);
    if (this.gen > this.maxGen) this.maxGen = this.gen;
    this.flash.write(this.unitOffset(block, 0), h);
    this.genBlocks.push(block);
    this.lastIndex = index;
    this.head = 1;
  }

  private writeUnit(kind: number, key: number, payload: Uint8Array): void {
    const unit = this.unit;
    unit[0] = kind;
    unit[1] = key;
    unit[2] = 0;
    unit[3] = 0;
    unit.set(payload.subarray(0, PAYLOAD_BYTES), PAYLOAD_OFFSET);
    unit.set(this.unitCheck(this.gen, this.storeId, this.lastIndex, this.head, unit).subarray(0, CHECK_BYTES), BODY_BYTES);
    const block = this.genBlocks[this.genBlocks.length - 1];
    this.flash.write(this.unitOffset(block, this.head), unit);
    this.head++;
  }

  private randomStoreId(): number {
    const b = new Uint8Array(4);
    this.crypto.randomBytes(b);
    return readU32(b, 0);
  }
}

function isBlank(b: Uint8Array, n: number): boolean {
  let and = 255;
  for (let i = 0; i < n; i++) and &= b[i];
  return and === 255;
}

function readU32(b: Uint8Array, at: number): number {
  return b[at] * 16777216 + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = Math.floor(v / 16777216) & 255;
  b[at + 1] = (v >> 16) & 255;
  b[at + 2] = (v >> 8) & 255;
  b[at + 3] = v & 255;
}
