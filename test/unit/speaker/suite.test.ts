// Suite choice end to end: the speaker names in client/init the first suite of its crypto backend (the fastest:
// on the device the native backend's preference, in Node/xsnap the portable one's), unless config.suite forces
// one the backend serves; a forced suite it does not serve stops start-up. Parameterised over backends: the
// native XS host runs it against the native backend.

import { assert, test } from "../../harness.js";
import { DEFAULT_CONFIG, type SpeakerConfig } from "../../../modules/config.js";
import type { CryptoProvider, SuiteName } from "../../../crypto/provider.js";
import type { Platform } from "../../../modules/platform.js";
import { parseJsonObject } from "../../../modules/protocol/json.js";
import { startSpeaker } from "../../../modules/speaker.js";
import { MemoryFlash } from "../../../storage/flash-memory.js";
import { describeEachBackend } from "../../support/backends.js";
import { ManualClock } from "../../support/clock.js";
import { MemoryListener } from "../../support/memory-listener.js";
import { CountingSink } from "../../support/player-rig.js";
import { SeededRandom } from "../../support/random.js";
import { RecordingIndicator, RecordingLog, RecordingOutChannel } from "../../support/session-parts.js";
import { ServerStreamReader, upgradeRequest } from "../../support/ws-peer.js";

function platform(crypto: CryptoProvider): Platform & { listener: MemoryListener } {
  const clock = new ManualClock();
  const random = new SeededRandom(5);
  return {
    clock,
    random,
    flash: new MemoryFlash({ blockSize: 4096, blocks: 4 }),
    listener: new MemoryListener(),
    announcer: { advertise: () => ({ close() {} }) },
    audio: new CountingSink(clock),
    button: { onPress() {} },
    outChannel: new RecordingOutChannel(),
    indicator: new RecordingIndicator(),
    crypto,
    log: new RecordingLog(),
  };
}

/** Start a speaker, open a WebSocket to it and return the suite its client/init names. */
function announced(crypto: CryptoProvider, suite: SpeakerConfig["suite"]): unknown {
  const p = platform(crypto);
  const config: SpeakerConfig = { ...DEFAULT_CONFIG, suite, bufferCapacity: 65536, recordSlots: 5 };
  const speaker = startSpeaker(p, config);
  try {
    const peer = p.listener.connect();
    peer.send(upgradeRequest(config.path));
    const reader = new ServerStreamReader();
    reader.push(peer.take());
    assert.equal(reader.status, 101, "upgrade");
    const first = reader.events[0];
    assert.ok(first !== undefined && first.kind === "text", "the speaker speaks first: client/init as a text frame");
    const msg = parseJsonObject(first.data);
    assert.ok(msg !== undefined && msg.type === "client/init", "client/init");
    return (msg.payload as Record<string, unknown>).suite;
  } finally {
    speaker.stop();
  }
}

describeEachBackend("suite choice", (crypto) => {
  test("auto: client/init names the backend's first (fastest) suite", () => {
    assert.ok(crypto.suites.length > 0);
    assert.equal(announced(crypto, "auto"), crypto.suites[0]);
  });

  test("a forced suite the backend serves is named as configured", () => {
    for (const suite of crypto.suites) assert.equal(announced(crypto, suite), suite);
  });

  test("a forced suite the backend does not serve stops start-up with a configuration error", () => {
    const first: SuiteName = crypto.suites[0];
    const other: SuiteName = first === "25519_ChaChaPoly_SHA256" ? "25519_AESGCM_SHA256" : "25519_ChaChaPoly_SHA256";
    const only: CryptoProvider = { ...crypto, suites: [first] };
    assert.equal(announced(only, "auto"), first);
    assert.throws(() => announced(only, other), /not served/);
  });
});
