// The workloads `npm run bench:chip` counts on the rv32imc chip runner. This file is bundled (with the
// project code it imports) into one script that XS evaluates on the emulated chip; it reaches the host
// only through the runner's globals: print, chipMark (the instruction-count snapshot) and gc.
//
// Protocol per workload: a line "# chip-workload <json>", then four marks: [run(0)] and [run(N)], each
// after a full collection. The runner takes count(N) − count(0) and divides by N × unitsPerRun.

import { createPortableCrypto } from "../../crypto/portable.js";
import type { SuiteName } from "../../crypto/provider.js";
import { CPaceInitiator, CPaceResponder, cpaceSid } from "../../crypto/cpace.js";
import { pinPrs } from "../../crypto/pin.js";
import { generateKeyPair } from "../../crypto/ids.js";
import { NoiseKKpsk2 } from "../../crypto/noise.js";
import { SENTINEL_PSK } from "../../crypto/ids.js";
import { utf8Encode } from "../../modules/util/utf8.js";
import { SeededRandom } from "../support/random.js";
import { MemoryFlash } from "../../storage/flash-memory.js";
import { Store } from "../../storage/store.js";
import { convert24to16 } from "../../modules/player/pcm.js";
import { CHUNK_FRAMES, makeRig, step } from "../support/player-rig.js";
import { envelope, parseEnvelope } from "../../modules/protocol/envelope.js";
import { encodeJson } from "../../modules/protocol/json.js";
import { parseNoiseHandshakePayload } from "../../modules/protocol/noise-messages.js";
import { checkUpgradeRequest } from "../../modules/websocket/handshake.js";

declare function print(...values: unknown[]): void;
declare function chipMark(): void;
declare function gc(): void;
declare const CHIP_FILTER: string;

interface Workload {
  name: string;
  /** What one unit is ("byte", "op", "chunk"...). */
  unit: string;
  /** Units one iteration processes (bytes per message, 1 for an operation). */
  unitsPerIteration: number;
  iterations: number;
  /**
   * Everything run() needs, prepared outside the counted sections: inputs for iterations + 1 runs (index
   * `iterations` is the warm-up's), since an input may be consumed (an AEAD message is opened in place).
   */
  prepare(): (count: number, first: number) => void;
  /** Shown under the table: what the count covers. */
  note: string;
}

const crypto = createPortableCrypto(new SeededRandom(42));
const rnd = new SeededRandom(7);

/** One 20 ms chunk of PCM 48 kHz, 16-bit, stereo: the audio path's unit. */
const CHUNK_PCM_BYTES = 48000 * 2 * 2 / 50;

function aeadOpen(suite: SuiteName, label: string): Workload {
  const iterations = 2;
  return {
    name: `AEAD open ${label} (portable)`,
    unit: "byte",
    unitsPerIteration: CHUNK_PCM_BYTES,
    iterations,
    prepare() {
      const aead = crypto.aead(suite, rnd.bytes(32));
      const messages: Uint8Array[] = [];
      for (let i = 0; i <= iterations; i++) {
        const buf = new Uint8Array(CHUNK_PCM_BYTES + 16);
        buf.set(rnd.bytes(CHUNK_PCM_BYTES));
        aead.seal(0, i, null, buf, 0, CHUNK_PCM_BYTES);
        messages.push(buf);
      }
      return (count, first) => {
        for (let i = first; i < first + count; i++) if (aead.open(0, i, null, messages[i], 0, CHUNK_PCM_BYTES + 16) < 0) throw new Error("open failed");
      };
    },
    note: `AEAD open: in place, ${CHUNK_PCM_BYTES}-byte messages (one 20 ms chunk of 48 kHz 16-bit stereo), per plaintext byte; share = at the PCM rate of 192,000 B/s.`,
  };
}

/** One digest of a `bytes`-long message, per compressed block (the message's blocks and the padding block). */
function hashBlocks(name: string, bytes: number, blockBytes: number, digest: (m: Uint8Array) => Uint8Array): Workload {
  return {
    name,
    unit: "block",
    unitsPerIteration: bytes / blockBytes + 1,
    iterations: 2,
    prepare() {
      const message = rnd.bytes(bytes);
      return (count) => {
        for (let i = 0; i < count; i++) digest(message);
      };
    },
    note: "SHA-2 (@noble/hashes through the portable provider): per compression block, call overhead included; it prices the hashing in the rows below: the responder handshake (SHA-256, HMAC, HKDF), CPace role B (12 SHA-512 blocks) and the mount (35 SHA-256 blocks).",
  };
}

/** parseEnvelope (the path of every inbound JSON text: bounds pre-scan, strict UTF-8, JSON.parse) of one text. */
function jsonIn(name: string, text: string, iterations: number, note: string): Workload {
  return {
    name,
    unit: "op",
    unitsPerIteration: 1,
    iterations,
    prepare() {
      const bytes = utf8Encode(text);
      return (count) => {
        for (let i = 0; i < count; i++) if (!parseEnvelope(bytes)) throw new Error("json: envelope rejected");
      };
    },
    note,
  };
}

/** A hostile-sized message: one string of `unit` repeated up to `bytes` of JSON text (the parser's 64 KiB cap). */
function hostileJson(unit: string, bytes: number): string {
  const head = '{"type":"x","payload":{"a":"', tail = '"}}';
  return head + unit.repeat(Math.floor((bytes - head.length - tail.length) / utf8Encode(unit).length)) + tail;
}

/** An upgrade request head with an extra field and the given Sec-WebSocket-Key. */
function upgradeHead(extra: string, key: string): Uint8Array {
  return utf8Encode(`GET /sendspin HTTP/1.1\r\nHost: 192.168.1.20:8928\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
}

/**
 * One check of hostile input: `input()` prepares it (outside the count) and returns the check, which returns
 * true when the input was taken or refused as intended.
 */
function hostileInput(name: string, input: () => () => boolean, note: string): Workload {
  return {
    name,
    unit: "op",
    unitsPerIteration: 1,
    iterations: 1,
    prepare() {
      const check = input();
      return (count) => {
        for (let i = 0; i < count; i++) if (!check()) throw new Error(`${name}: unexpected result`);
      };
    },
    note,
  };
}

const WORKLOADS: Workload[] = [
  aeadOpen("25519_ChaChaPoly_SHA256", "ChaCha20-Poly1305"),
  aeadOpen("25519_AESGCM_SHA256", "AES-256-GCM"),
  {
    name: "X25519 (portable)",
    unit: "op",
    unitsPerIteration: 1,
    iterations: 2,
    prepare() {
      const scalar = rnd.bytes(32);
      const peer = crypto.x25519Base(rnd.bytes(32));
      return (count) => {
        for (let i = 0; i < count; i++) crypto.x25519(scalar, peer);
      };
    },
    note: "X25519: one scalar multiplication (noble's BigInt ladder).",
  },
  hashBlocks("SHA-256 (portable), 512-byte message", 512, 64, (m) => crypto.sha256(m)),
  hashBlocks("SHA-512 (portable), 1 KiB message", 1024, 128, (m) => crypto.sha512(m)),
  {
    name: "Noise KKpsk2 responder handshake (ChaChaPoly)",
    unit: "op",
    unitsPerIteration: 1,
    iterations: 2,
    prepare() {
      const suite: SuiteName = "25519_ChaChaPoly_SHA256";
      const server = generateKeyPair(crypto);
      const speaker = generateKeyPair(crypto);
      const prologue = utf8Encode('{"type":"client/init"}{"type":"server/init"}');
      const payload1 = utf8Encode('{"psk_id":"GFsV9tLaSQm9HcFWpKsgYQOr7wFTvNUtkmFwuVz3zoo"}');
      const firstMessages: Uint8Array[] = [];
      for (let i = 0; i <= 2; i++) {
        const initiator = NoiseKKpsk2.initiator({ crypto, suite, prologue, s: server, rs: speaker.publicKey, psk: SENTINEL_PSK });
        firstMessages.push(initiator.writeMessage1(payload1));
      }
      const empty = new Uint8Array(0);
      return (count, first) => {
        for (let i = first; i < first + count; i++) {
          const responder = NoiseKKpsk2.responder({ crypto, suite, prologue, s: speaker, rs: server.publicKey });
          if (!responder.readMessage1(firstMessages[i])) throw new Error("message 1 rejected");
          responder.setPsk(SENTINEL_PSK);
          responder.writeMessage2(empty);
          responder.split();
        }
      };
    },
    note: "Noise responder: read message 1 (e, es, ss + payload), set the PSK, write message 2 (e, ee, se, psk), split: 5 X25519 ladders (the ephemeral key and 4 DH: es, ss, ee, se) and the HKDF/HMAC-SHA-256 chain.",
  },
  {
    name: "CPace role B (respond, verify Ta, Tb)",
    unit: "op",
    unitsPerIteration: 1,
    iterations: 2,
    prepare() {
      const sid = cpaceSid(rnd.bytes(32));
      const prs = pinPrs("12345678");
      const scalar = rnd.bytes(32);
      const a = new CPaceInitiator(crypto, { prs, sid });
      const ya = a.start();
      const yb = new CPaceResponder(crypto, { prs, sid, scalar }).respond(ya);
      if (!yb || !a.receive(yb)) throw new Error("cpace setup failed");
      const ta = a.initiatorTag();
      return (count) => {
        for (let i = 0; i < count; i++) {
          const b = new CPaceResponder(crypto, { prs, sid, scalar });
          b.respond(ya);
          if (!b.verifyInitiatorTag(ta)) throw new Error("Ta rejected");
          b.responderTag();
        }
      };
    },
    note: "CPace role B: generator (SHA-512 + Elligator 2 over BigInt), 2 X25519, ISK, mac_key, 2 HMAC-SHA-512 under one keyed HMAC (provider.hmacSha512Keyed): 12 SHA-512 blocks in all.",
  },
  {
    name: "Record-table mount (device geometry, full table)",
    unit: "op",
    unitsPerIteration: 1,
    iterations: 2,
    prepare() {
      // The device's partition: 4 KiB blocks × 4, 8 slots, every free slot filled, settings changed once.
      const defaults = { staticPinEnabled: true, dynamicPinEnabled: true, minPinLength: 6, unpairedAccess: false };
      const options = { slots: 8, crypto, defaults, log: () => {} };
      const flash = new MemoryFlash({ blockSize: 4096, blocks: 4 });
      const store = Store.mount(flash, options);
      for (let i = 0; store.accounting().free > 0; i++) {
        const result = store.addRecord(rnd.bytes(32), i % 2 ? undefined : "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
        if (result !== "ok") throw new Error(`addRecord ${i}: ${result}`);
      }
      store.updateSettings({ staticDelayMs: 25 });
      const images: MemoryFlash[] = [];
      for (let i = 0; i <= 2; i++) images.push(flash.clone());
      return (count, first) => {
        for (let i = first; i < first + count; i++) Store.mount(images[i], options);
      };
    },
    note: "Record-table mount: Store.mount of a 16 KiB partition (4 KiB blocks) with every record slot filled and changed settings, on an in-memory NOR flash. Its 13 SHA-256 digests (the block header, the check of each of the 11 keys' latest units: 144 bytes, 3 blocks each, and the pairing PSK's psk_id) are 35 compression blocks, ~95 % of the count; the journal's own scan is ~0.45 M.",
  },
  jsonIn(
    "JSON message in (server/time, 131 bytes)",
    '{"type":"server/time","payload":{"client_transmitted":5123456789,"server_received":1005123457289,"server_transmitted":1005123457300}}',
    10,
    "JSON in: parseEnvelope of a decrypted message (modules/protocol/json.ts: nesting/value-count pre-scan, strict UTF-8 decoding, JSON.parse, envelope checks); the hostile rows are 64 KiB texts (the cap) of one string: ASCII, and 2-byte characters (é), the worst case of the decoder.",
  ),
  {
    name: "JSON message out (client/state, 162 bytes)",
    unit: "op",
    unitsPerIteration: 1,
    iterations: 10,
    prepare() {
      const state = { player: { state: "synchronized", volume: 100, muted: false, static_delay_ms: 0, required_lead_time_ms: 61, min_buffer_ms: 83 } };
      return (count) => {
        for (let i = 0; i < count; i++) encodeJson(envelope("client/state", state));
      };
    },
    note: "JSON out: encodeJson of an envelope (JSON.stringify, then UTF-8 bytes), what SecureChannel.sendJson encrypts.",
  },
  jsonIn("Hostile JSON, 64 KiB of ASCII", hostileJson("a", 65536), 1, ""),
  jsonIn("Hostile JSON, 64 KiB of 2-byte characters", hostileJson("\u00e9", 65536), 1, ""),
  hostileInput(
    "Hostile upgrade request (4 KiB head, one long field name)",
    () => {
      const head = upgradeHead("X".repeat(3900) + ": v\r\n", "dGhlIHNhbXBsZSBub25jZQ==");
      return () => checkUpgradeRequest(head, "/sendspin").ok;
    },
    "Hostile input before any key: the HTTP upgrade request (checkUpgradeRequest, 4,096-byte head cap) with a 3,900-byte field name or Sec-WebSocket-Key, and a noise/handshake text message (16 KiB text cap) whose data is 16,300 base64url characters (parseEnvelope, parseNoiseHandshakePayload). Anyone on the network can send these.",
  ),
  hostileInput(
    "Hostile upgrade request (4 KiB head, a 3,900-byte key)",
    () => {
      const head = upgradeHead("", "A".repeat(3900));
      return () => !checkUpgradeRequest(head, "/sendspin").ok;
    },
    "",
  ),
  hostileInput(
    "Hostile noise/handshake message (16 KiB text)",
    () => {
      const text = utf8Encode('{"type":"noise/handshake","payload":{"data":"' + "A".repeat(16300) + '"}}');
      return () => {
        const env = parseEnvelope(text);
        return env !== undefined && parseNoiseHandshakePayload(env.payload) !== undefined;
      };
    },
    "",
  ),
  {
    name: "Audio path, decrypted frame to sink",
    unit: "chunk",
    unitsPerIteration: 1,
    iterations: 20,
    prepare() {
      const rig = makeRig();
      let i = 0;
      for (; i < 100; i++) step(rig, i); // steady state: blocks cycling, chunks 200 ms ahead
      return (count) => {
        for (let k = 0; k < count; k++) step(rig, i++);
      };
    },
    note: "Audio path: per 20 ms chunk of 48 kHz 16-bit stereo (3,840 bytes), a synchronized Player in steady state: onAudioChunk (validation, timestamp, late check, one copy into the jitter buffer) and the scheduler's rendering into output blocks (filter conversion, correction decision, copyWithin) written to a sink that only counts; the loop also rewrites the reused chunk's 8-byte timestamp. Decryption excluded. XS 13.3 copies the chunk into the jitter buffer element by element in TypedArray.prototype.set (its memcpy test compares the two instances instead of their element types); XS 17.9 (SDK 8.2.3, the device's engine) does a memcpy: the \"with XS 17.9's set\" column is the device's count, and the 13.3 count overstates it by that copy (~82 rv32 instructions per byte, 3,848 bytes per chunk). No other copy is fast on both engines without an allocation per chunk (copyWithin needs both ranges in one buffer; slice allocates).",
  },
  {
    name: "Audio path, extra for 24-bit input on a 16-bit sink",
    unit: "chunk",
    unitsPerIteration: 1,
    iterations: 4,
    prepare() {
      const src = new Uint8Array(8 + CHUNK_FRAMES * 6);
      const dst = new Uint8Array(CHUNK_FRAMES * 4);
      return (count) => {
        for (let k = 0; k < count; k++) convert24to16(src, 8, dst, 0, CHUNK_FRAMES * 2);
      };
    },
    note: "24→16-bit: the per-sample truncation loop the player runs while copying a 24-bit chunk for a 16-bit sink (1,920 samples per chunk); advertised only when the device maker lists a 24-bit format.",
  },
];

function main(): void {
  const filter = typeof CHIP_FILTER === "string" ? CHIP_FILTER : "";
  for (const w of WORKLOADS) {
    if (filter && !w.name.includes(filter)) continue;
    const run = w.prepare();
    run(1, w.iterations); // warm-up: first-call costs (lazy tables, shapes) stay out of the counts
    print("# chip-workload " + JSON.stringify({ name: w.name, unit: w.unit, unitsPerIteration: w.unitsPerIteration, iterations: w.iterations, note: w.note }));
    gc();
    chipMark();
    run(0, 0);
    chipMark();
    gc();
    chipMark();
    run(w.iterations, 0);
    chipMark();
  }
  print("# chip-done");
}

main();
