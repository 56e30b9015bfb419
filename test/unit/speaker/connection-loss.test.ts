// The whole speaker (startSpeaker: listener adapter over the ECMA-419 double, WebSocket server, sessions, the
// real Player) driven from the wire: a server activates playback, the clock synchronizes, then the server
// vanishes (TCP reset). Found in Moddable's Linux simulator: the speaker kept sending client/time into the
// dead socket ("write failed" traces), kept the session, its timers and a growing send queue. Now the first
// failed write ends the connection: the session closes, nothing more is written, no timer of the
// connection survives, and the speaker serves the next server. Both SDK personalities (lin, lwIP).

import { assert, describe, test } from "../../harness.js";
import { SENTINEL_PSK } from "../../../crypto/ids.js";
import { createPortableCrypto } from "../../../crypto/portable.js";
import { Ecma419ListenerPort } from "../../../modules/board/ecma419-listener.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../../modules/config.js";
import type { Platform } from "../../../modules/platform.js";
import { startSpeaker, type SpeakerEvent } from "../../../modules/speaker.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import { ManualClock } from "../../support/clock.js";
import { Ecma419Stack, type HostKind } from "../../support/ecma419-double.js";
import { CountingSink } from "../../support/player-rig.js";
import { SeededRandom } from "../../support/random.js";
import { TestPeer } from "../../support/session-peer.js";
import { RecordingIndicator, RecordingLog, RecordingOutChannel } from "../../support/session-parts.js";
import { WireSocket } from "../../support/wire-peer.js";

const config: SpeakerConfig = { ...DEFAULT_CONFIG, unpairedAccess: true, recordSlots: 5, bufferCapacity: 65536 };
/** The server's clock runs this far ahead of the speaker's. */
const SERVER_OFFSET_US = 123_456_789;

function rig(kind: HostKind) {
  const clock = new ManualClock();
  const random = new SeededRandom(11);
  const crypto = createPortableCrypto(random);
  const stack = new Ecma419Stack(kind);
  const log = new RecordingLog();
  const p: Platform = {
    clock,
    random,
    flash: new MemoryFlash({ blockSize: 4096, blocks: 4 }),
    listener: new Ecma419ListenerPort({ Listener: stack.Listener, TCP: stack.TCP, clock, log }),
    announcer: { advertise: () => ({ close() {} }) },
    audio: new CountingSink(clock),
    button: { onPress() {} },
    outChannel: new RecordingOutChannel(),
    indicator: new RecordingIndicator(),
    crypto,
    log,
  };
  const events: SpeakerEvent[] = [];
  const speaker = startSpeaker(p, config, (e) => events.push(e));
  /** Time passes in steps of the host's task (the lin simulator polls every 20 ms). */
  const run = (ms: number, peer?: TestPeer) => {
    for (let t = 0; t < ms; t += 20) {
      clock.advanceMs(20);
      stack.poll();
      if (peer && !peer.closed) answerProbes(peer);
    }
  };
  /** The server answers every client/time at once; anything else stays for the test. */
  const others: string[] = [];
  const answerProbes = (peer: TestPeer) => {
    for (let m = peer.recv(); m; m = peer.recv()) {
      if (m.type !== "client/time") {
        others.push(m.type);
        continue;
      }
      // a 200 µs round trip, the server's turnaround in the middle of it
      const t = clock.nowUs() + 100 + SERVER_OFFSET_US;
      clock.advanceUs(200);
      peer.send("server/time", { client_transmitted: m.payload.client_transmitted as number, server_received: t, server_transmitted: t });
    }
  };
  const connectPlayer = () => {
    const wire = new WireSocket(stack);
    const peer = new TestPeer(null, crypto, undefined, wire);
    peer.connect();
    assert.ok(peer.handshake(SENTINEL_PSK), "handshake");
    peer.hello();
    peer.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    return { wire, peer };
  };
  return { clock, stack, speaker, events, run, connectPlayer, others, log };
}

const closedEvents = (events: SpeakerEvent[]) => events.filter((e) => e.event === "connection" && e.state === "closed").length;

for (const kind of ["lin", "lwip"] as const) {
  describe(`connection loss (${kind} sockets)`, () => {
    test("a server that vanishes during playback: the first failed write ends the connection, nothing survives it", () => {
      const { clock, stack, speaker, events, run, connectPlayer, others } = rig(kind);
      const idleTimers = clock.pendingTimers();
      const { wire, peer } = connectPlayer();
      run(5000, peer);
      assert.ok(others.indexOf("client/state") >= 0, "the clock synchronized: client/state sent");
      assert.equal(speaker.sessions.openConnections, 1);

      // Wait for the next clock-sync probe and leave it unanswered: its timeout (1 s) sends the next probe
      // from a timer. The server dies 1 ms before that: its kernel resets the connection, and the speaker
      // writes the probe before the host's task has read the reset (the order seen in mcsim).
      const w0 = wire.peer.writeCalls;
      for (let i = 0; i < 600 && wire.peer.writeCalls === w0; i++) {
        clock.advanceMs(20);
        stack.poll();
      }
      const probe = peer.recv();
      assert.ok(probe !== null && probe.type === "client/time", "a probe is in flight");
      const sentUs = probe.payload.client_transmitted as number;
      clock.advanceUs(sentUs + 999_000 - clock.nowUs());
      stack.poll();
      wire.peer.reset();
      const writesBefore = wire.peer.writeCalls;
      clock.advanceMs(2); // the probe times out: the next one is written to the reset connection
      assert.ok(wire.peer.writeCalls > writesBefore, "the next probe met the dead socket");
      run(12_000); // longer than the longest gap between clock-sync bursts (10 s)
      assert.equal(closedEvents(events), 1, "the session closed");
      assert.equal(speaker.sessions.openConnections, 0);
      assert.ok(wire.peer.closedByHost, "the TCP socket was released");
      assert.ok(wire.peer.failedWrites <= 1, `at most one write reached the dead socket (${wire.peer.failedWrites})`);
      const writesAfter = wire.peer.writeCalls;
      assert.ok(writesAfter - writesBefore <= 1, `writes after the reset: ${writesAfter - writesBefore}`);
      run(30_000);
      assert.equal(wire.peer.writeCalls, writesAfter, "nothing is written once the connection is over");
      assert.equal(clock.pendingTimers(), idleTimers, "no timer of the connection survives (clock sync, player, WebSocket)");

      // the speaker is free for the next server
      const next = connectPlayer();
      others.length = 0;
      run(5000, next.peer);
      assert.ok(others.indexOf("client/state") >= 0, "a new server plays");
      speaker.stop();
    });

    test("a server that closes its socket (FIN) during playback: the session ends, no timer survives", () => {
      const { clock, speaker, events, run, connectPlayer } = rig(kind);
      const idleTimers = clock.pendingTimers();
      const { peer } = connectPlayer();
      run(3000, peer);
      peer.close();
      run(12_000);
      assert.equal(closedEvents(events), 1);
      assert.equal(speaker.sessions.openConnections, 0);
      assert.equal(clock.pendingTimers(), idleTimers);
      speaker.stop();
    });
  });
}
