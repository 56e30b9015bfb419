// startSpeaker as a unit (Node and XS): in-memory TCP, manual clock, emulated flash. The ready event,
// the announcement, client/init on a fresh WebSocket, stop() releasing every socket and timer, the button
// ignored once stopped, and a reboot on the same flash keeping the identity.

import { assert, describe, test } from "../../harness.js";
import { keyId } from "../../../crypto/ids.js";
import { decodePairingToken } from "../../../crypto/pairing-token.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../../modules/config.js";
import type { ButtonPress, Platform } from "../../../modules/platform.js";
import { parseEnvelope } from "../../../modules/protocol/envelope.js";
import { startSpeaker, type SpeakerEvent } from "../../../modules/speaker.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import { ManualClock } from "../../support/clock.js";
import { MemoryListener } from "../../support/memory-listener.js";
import { SeededRandom } from "../../support/random.js";
import { RecordingSink } from "../../support/recording-sink.js";
import { RecordingIndicator, RecordingLog, RecordingOutChannel } from "../../support/session-parts.js";
import { clientFrame, ServerStreamReader, upgradeRequest } from "../../support/ws-peer.js";
import { utf8Encode } from "../../../modules/util/utf8.js";

function platform(flash: MemoryFlash, seed = 3) {
  const random = new SeededRandom(seed);
  const clock = new ManualClock();
  const listener = new MemoryListener();
  const ads: { name: string; port: number; path: string; closed: boolean }[] = [];
  const presses: ((p: ButtonPress) => void)[] = [];
  const p: Platform = {
    clock,
    random,
    flash,
    listener,
    announcer: { advertise: (s) => (ads.push({ ...s, closed: false }), { close: () => void (ads[ads.length - 1].closed = true) }) },
    audio: new RecordingSink(clock, { keepSamples: false }),
    button: { onPress: (cb) => void presses.push(cb) },
    outChannel: new RecordingOutChannel(),
    indicator: new RecordingIndicator(),
    crypto: createPortableCrypto(random),
    log: new RecordingLog(),
  };
  return { p, clock, listener, ads, press: (x: ButtonPress) => presses.forEach((cb) => cb(x)) };
}

const config: SpeakerConfig = { ...DEFAULT_CONFIG, staticPin: true, name: "Kitchen" };

describe("speaker", () => {
  test("ready event, announcement, client/init on a new WebSocket; stop releases sockets and timers", () => {
    const flash = new MemoryFlash({ blockSize: 4096, blocks: 4 });
    const { p, clock, listener, ads, press } = platform(flash);
    const events: SpeakerEvent[] = [];
    const sp = startSpeaker(p, config, (e) => events.push(e));
    const ready = events[0] as Extract<SpeakerEvent, { event: "ready" }>;
    assert.equal(ready.event, "ready");
    assert.equal(ready.client_id, sp.clientId);
    assert.equal(ready.port, 8928);
    assert.equal(ready.path, "/sendspin");
    const tok = decodePairingToken(ready.pairing_token)!;
    assert.equal(keyId(tok.clientPublicKey), sp.clientId);
    assert.deepEqual(tok.pairingPsk, sp.store.settings.pairingPsk);
    assert.equal(ready.static_pin, sp.store.settings.staticPin);
    assert.deepEqual(ads, [{ name: "Kitchen", port: 8928, path: "/sendspin", closed: false }]);

    const peer = listener.connect();
    peer.send(upgradeRequest());
    const r = new ServerStreamReader();
    r.push(peer.take());
    assert.equal(r.status, 101);
    const init = r.events[0];
    assert.equal(init.kind, "text");
    const env = parseEnvelope((init as { data: Uint8Array }).data)!;
    assert.equal(env.type, "client/init");
    assert.equal(env.payload.client_id, sp.clientId);
    assert.equal(sp.sessions.openConnections, 1);

    press("short");
    assert.ok(events.some((e) => e.event === "pairing_window" && e.open));
    sp.stop("shutdown");
    assert.equal(sp.sessions.openConnections, 0);
    assert.equal(ads[0].closed, true);
    assert.equal(listener.listening, false);
    assert.ok(events.some((e) => e.event === "pairing_window" && !e.open), "stop closes the window");
    clock.advanceMs(10_000); // the WebSocket close handshake's own timeout
    assert.ok(peer.serverClosed, "the socket is released");
    assert.equal(clock.pendingTimers(), 0, "no timer survives stop()");
    const n = events.length;
    press("short");
    assert.equal(events.length, n, "a stopped speaker ignores the button");
  });

  test("text messages (the cleartext handshake only) are capped at 2 KiB before any authentication", () => {
    const flash = new MemoryFlash({ blockSize: 4096, blocks: 4 });
    const { p } = platform(flash);
    const sp = startSpeaker(p, config);
    const listener = p.listener as MemoryListener;
    const serverInit = (pad: number) => utf8Encode(JSON.stringify({ type: "server/init", payload: { server_id: sp.clientId, version: 1, pad: "x".repeat(pad) } }));
    const send = (msg: Uint8Array) => {
      const peer = listener.connect();
      peer.send(upgradeRequest());
      peer.send(clientFrame(1, msg));
      const r = new ServerStreamReader();
      r.push(peer.take());
      return r;
    };
    const big = serverInit(2048);
    assert.ok(big.length > 2048);
    assert.deepEqual(send(big).closeCodes(), [1009], "over the cap: closed as too big, never parsed");
    const small = serverInit(1500);
    assert.ok(small.length <= 2048);
    assert.deepEqual(send(small).closeCodes().filter((c) => c === 1009), [], "within the cap: not refused for its size");
    sp.stop();
  });

  test("a reboot on the same flash keeps the identity, the pairing PSK and the static PIN", () => {
    const flash = new MemoryFlash({ blockSize: 4096, blocks: 4 });
    const a = startSpeaker(platform(flash, 5).p, config);
    const before = { id: a.clientId, psk: a.store.settings.pairingPsk.slice(), pin: a.store.settings.staticPin };
    a.stop("restart");
    const b = startSpeaker(platform(flash, 6).p, config);
    assert.equal(b.clientId, before.id);
    assert.deepEqual(b.store.settings.pairingPsk, before.psk);
    assert.equal(b.store.settings.staticPin, before.pin);
    b.stop();
  });

  test("a configured suite the backend does not serve is refused at start", () => {
    const flash = new MemoryFlash({ blockSize: 4096, blocks: 4 });
    const { p } = platform(flash);
    const narrow = { ...p, crypto: { ...p.crypto, suites: ["25519_ChaChaPoly_SHA256" as const] } };
    assert.throws(() => startSpeaker(narrow, { ...config, suite: "25519_AESGCM_SHA256" }), /not served/);
  });
});
