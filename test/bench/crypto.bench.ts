// The secure channel's costs on the portable backend, in Node and in XS: AEAD open throughput (what every
// received frame costs, audio included) and the responder's Noise handshake (what every connection and
// re-handshake costs the speaker).

import { NoiseKKpsk2 } from "../../crypto/noise.js";
import { generateKeyPair, pskId, SENTINEL_PSK } from "../../crypto/ids.js";
import { createPortableCrypto } from "../../crypto/portable.js";
import { SUITES, type SuiteName } from "../../crypto/provider.js";
import { utf8Encode } from "../../modules/util/utf8.js";
import { SeededRandom } from "../support/random.js";
import { timePerCall, type Bench } from "./context.js";

const AEAD = "AEAD open in place (portable backend): plaintext bytes/s and multiple of PCM 48 kHz/16-bit/stereo";
const HANDSHAKE = "Noise KKpsk2 responder handshake (portable backend), ms";
const PCM = 192000; // bytes/s of PCM 48 kHz, 16-bit, stereo

const SIZES: [string, number][] = [
  ["1 KiB", 1024],
  ["3,849 B (20 ms chunk)", 3849],
  ["16 KiB", 16384],
];

function short(suite: SuiteName): string {
  return suite === "25519_ChaChaPoly_SHA256" ? "ChaChaPoly" : "AESGCM";
}

const bench: Bench = (ctx) => {
  const crypto = createPortableCrypto(new SeededRandom(1));
  const rnd = new SeededRandom(2);
  const minMs = ctx.engine === "xs" ? 600 : 300;

  for (const suite of SUITES) {
    const aead = crypto.aead(suite, rnd.bytes(32));
    for (const [label, size] of SIZES) {
      const sealed = new Uint8Array(size + 16);
      sealed.set(rnd.bytes(size));
      aead.seal(0, 7, null, sealed, 0, size);
      const work = new Uint8Array(size + 16);
      // Each call restores the ciphertext (open decrypts in place) and opens it: the copy is a memcpy,
      // negligible next to the AEAD in JavaScript.
      const ms = timePerCall(ctx, () => {
        work.set(sealed);
        if (aead.open(0, 7, null, work, 0, size + 16) !== size) throw new Error("bench: open failed");
      }, minMs);
      const bps = (size * 1000) / ms;
      const row = `${short(suite)} ${label}`;
      ctx.record(AEAD, row, `${ctx.engine} bytes/s`, bps);
      ctx.record(AEAD, row, `${ctx.engine} × PCM`, bps / PCM);
    }
  }
  ctx.note(AEAD, "× PCM = bytes/s ÷ 192,000 (PCM 48 kHz, 16-bit, stereo). 3,849 B = one 20 ms chunk of that PCM (3,840 B) with its 9-byte header (type byte + 64-bit timestamp), the plaintext of one audio frame.");

  // Responder: readMessage1 + setPsk + writeMessage2 + split, each message 1 from a fresh initiator (untimed).
  const server = generateKeyPair(crypto);
  const client = generateKeyPair(crypto);
  const prologue = utf8Encode('{"type":"client/init","payload":{}}{"type":"server/init","payload":{}}');
  const payload1 = utf8Encode(JSON.stringify({ psk_id: pskId(crypto, SENTINEL_PSK) }));
  const payload2 = utf8Encode("{}");
  const runs = ctx.engine === "xs" ? 8 : 40;
  for (const suite of SUITES) {
    let read1 = 0, write2 = 0, split = 0;
    for (let i = 0; i <= runs; i++) {
      const init = NoiseKKpsk2.initiator({ crypto, suite, prologue, s: server, rs: client.publicKey, psk: SENTINEL_PSK });
      const m1 = init.writeMessage1(payload1);
      const t0 = ctx.now();
      const resp = NoiseKKpsk2.responder({ crypto, suite, prologue, s: client, rs: server.publicKey });
      if (resp.readMessage1(m1) === null) throw new Error("bench: message 1 rejected");
      const t1 = ctx.now();
      resp.setPsk(SENTINEL_PSK);
      const m2 = resp.writeMessage2(payload2);
      const t2 = ctx.now();
      resp.split();
      const t3 = ctx.now();
      if (init.readMessage2(m2) === null) throw new Error("bench: message 2 rejected");
      if (i === 0) continue; // warm-up
      read1 += t1 - t0;
      write2 += t2 - t1;
      split += t3 - t2;
    }
    const col = `${ctx.engine} ms`;
    const s = short(suite);
    ctx.record(HANDSHAKE, `${s}: readMessage1 (2 DH)`, col, read1 / runs);
    ctx.record(HANDSHAKE, `${s}: setPsk + writeMessage2 (keygen + 2 DH)`, col, write2 / runs);
    ctx.record(HANDSHAKE, `${s}: split`, col, split / runs);
    ctx.record(HANDSHAKE, `${s}: total`, col, (read1 + write2 + split) / runs);
  }
  ctx.note(HANDSHAKE, `Mean over the handshakes of each engine (Node 40, XS 8), after one warm-up; each message 1 comes from a fresh initiator (not timed). The responder's ephemeral comes from the provider's random port.`);
};

export default bench;
