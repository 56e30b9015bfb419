// Multi-server arbitration: the pure decision, then several servers against one speaker.

import { assert, describe, test } from "../../harness.js";
import { SENTINEL_PSK } from "../../../crypto/ids.js";
import { activityRank, arbitrate } from "../../../modules/session/arbitration.js";
import type { Activity } from "../../../modules/protocol/names.js";
import { makeRig, type Rig } from "../../support/session-parts.js";
import { TestPeer } from "../../support/session-peer.js";

const c = (activities: Activity[], serverId = "S") => ({ activities, serverId });

describe("arbitration decision", () => {
  test("ranks: management > playback > pairing > empty", () => {
    assert.equal(activityRank(["management", "playback"]), 3);
    assert.equal(activityRank(["playback"]), 2);
    assert.equal(activityRank(["pairing"]), 1);
    assert.equal(activityRank([]), 0);
  });

  test("higher or equal admitted, lower rejected", () => {
    assert.equal(arbitrate(null, c([]), null), "admit");
    assert.equal(arbitrate(c(["playback"]), c(["playback"]), null), "admit");
    assert.equal(arbitrate(c(["playback"]), c(["management"]), null), "admit");
    assert.equal(arbitrate(c(["management"]), c(["playback", "management"]), null), "admit");
    assert.equal(arbitrate(c(["management"]), c(["playback"]), null), "reject");
    assert.equal(arbitrate(c(["playback"]), c(["pairing"]), null), "reject");
    assert.equal(arbitrate(c(["playback"]), c([]), null), "reject");
    assert.equal(arbitrate(c([]), c(["pairing"]), null), "admit");
  });

  test("an in-flight pairing is displaced by management only", () => {
    assert.equal(arbitrate(c(["pairing"]), c(["pairing"]), null), "reject");
    assert.equal(arbitrate(c(["pairing"]), c(["playback"]), null), "reject");
    assert.equal(arbitrate(c(["pairing"]), c([]), null), "reject");
    assert.equal(arbitrate(c(["pairing"]), c(["management"]), null), "admit");
  });

  test("empty against empty: the last-playback server wins, otherwise the holder stays", () => {
    assert.equal(arbitrate(c([], "A"), c([], "B"), null), "reject");
    assert.equal(arbitrate(c([], "A"), c([], "B"), "B"), "admit");
    assert.equal(arbitrate(c([], "A"), c([], "B"), "A"), "reject");
    assert.equal(arbitrate(c([], "B"), c([], "B"), "B"), "reject", "the holder is the last-playback server too");
    assert.equal(arbitrate(c([], "A"), c([], "B"), "C"), "reject");
  });
});

function paired(rig: Rig): { peer: TestPeer; psk: Uint8Array } {
  const peer = new TestPeer(rig.sessions, rig.crypto);
  const psk = rig.random.bytes(32);
  rig.store.addRecord(psk, peer.serverId);
  peer.open(psk);
  return { peer, psk };
}

describe("arbitration between live connections", () => {
  test("playback displaces playback (goodbye another_server); the last-playback server is persisted", () => {
    const rig = makeRig();
    const a = paired(rig).peer;
    a.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.equal(rig.store.settings.lastPlaybackServerId, a.serverId);
    const b = paired(rig).peer;
    b.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.equal(a.expect("client/goodbye").reason, "another_server");
    assert.ok(a.closed);
    assert.ok(!b.closed);
    assert.equal(rig.sessions.admitted!.serverId, b.serverId);
    assert.equal(rig.store.settings.lastPlaybackServerId, b.serverId);
    assert.deepEqual(rig.player.calls, ["activate", "deactivate", "activate"]);
    assert.ok(rig.player.active);
  });

  test("lower rank is rejected with concurrent_attempt; pairing gets pair/abort concurrent_attempt", () => {
    const rig = makeRig();
    const a = paired(rig).peer;
    a.send("server/activate", { activities: ["management"], active_roles: [] });
    const b = paired(rig).peer;
    b.send("server/activate", { activities: ["playback"], active_roles: [] });
    assert.equal(b.expect("client/goodbye").reason, "concurrent_attempt");
    assert.ok(b.closed);
    const p = new TestPeer(rig.sessions, rig.crypto);
    p.open(SENTINEL_PSK);
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    assert.equal(p.expect("pair/abort").reason, "concurrent_attempt");
    assert.ok(!a.closed);
    assert.equal(a.recv(), null);
  });

  test("a pairing attempt arriving while another server plays is rejected", () => {
    const rig = makeRig();
    const a = paired(rig).peer;
    a.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    const p = new TestPeer(rig.sessions, rig.crypto);
    p.open(SENTINEL_PSK);
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    assert.equal(p.expect("pair/abort").reason, "concurrent_attempt");
    assert.ok(rig.player.active);
  });

  test("in-flight pairing: playback and pairing are rejected, management displaces it with pair/abort concurrent_attempt", () => {
    const rig = makeRig();
    const p = new TestPeer(rig.sessions, rig.crypto);
    p.open(SENTINEL_PSK);
    p.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    p.expect("client/pair-init");
    const b = paired(rig).peer;
    b.send("server/activate", { activities: ["playback"], active_roles: [] });
    assert.equal(b.expect("client/goodbye").reason, "concurrent_attempt");
    const q = new TestPeer(rig.sessions, rig.crypto);
    q.open(SENTINEL_PSK);
    q.send("server/activate", { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" });
    assert.equal(q.expect("pair/abort").reason, "concurrent_attempt");
    const m = paired(rig).peer;
    m.send("server/activate", { activities: ["management"], active_roles: [] });
    assert.equal(p.expect("pair/abort").reason, "concurrent_attempt");
    assert.ok(p.closed);
    assert.equal(rig.sessions.admitted!.serverId, m.serverId);
  });

  test("empty vs empty uses the persisted last-playback server", () => {
    const rig = makeRig();
    const a = paired(rig).peer;
    a.send("server/activate", { activities: [], active_roles: [] });
    const b = paired(rig).peer;
    b.send("server/activate", { activities: [], active_roles: [] });
    assert.equal(b.expect("client/goodbye").reason, "concurrent_attempt", "neither is the last-playback server");
    const cpeer = new TestPeer(rig.sessions, rig.crypto);
    const psk = rig.random.bytes(32);
    rig.store.addRecord(psk, cpeer.serverId);
    rig.store.updateSettings({ lastPlaybackServerId: cpeer.serverId });
    cpeer.open(psk);
    cpeer.send("server/activate", { activities: [], active_roles: [] });
    assert.equal(a.expect("client/goodbye").reason, "another_server");
    assert.ok(!cpeer.closed);
  });

  test("subsequent activations do not arbitrate; a provisional connection does not disturb the holder", () => {
    const rig = makeRig();
    const a = paired(rig).peer;
    a.send("server/activate", { activities: [], active_roles: [] });
    const b = paired(rig).peer; // provisional: handshake done, no activation
    a.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    a.send("server/activate", { activities: [], active_roles: [] });
    assert.ok(!a.closed && !b.closed);
    rig.clock.advanceMs(30_000);
    assert.ok(b.closed, "provisional dropped after 30 s");
    assert.equal(b.recv(), null);
    assert.ok(!a.closed);
  });

  test("a closed holder frees the slot", () => {
    const rig = makeRig();
    const a = paired(rig).peer;
    a.send("server/activate", { activities: ["management"], active_roles: [] });
    a.close();
    assert.equal(rig.sessions.admitted, null);
    const b = paired(rig).peer;
    b.send("server/activate", { activities: [], active_roles: [] });
    assert.ok(!b.closed);
  });
});
