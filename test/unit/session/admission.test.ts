// The admissibility table of server/activate, row by row, and the close-reason order (pure functions),
// then the same rules through a live session.

import { assert, describe, test } from "../../harness.js";
import { SENTINEL_PSK } from "../../../crypto/ids.js";
import { isAllowedSet, isPlaybackCapable, judgeActivation, type ActivationInput, type PskCategory } from "../../../modules/session/admission.js";
import type { Activity, PairMethod } from "../../../modules/protocol/names.js";
import { makeRig } from "../../support/session-parts.js";
import { TestPeer } from "../../support/session-peer.js";

const ALL: PairMethod[] = ["pairing_psk", "static_pin", "dynamic_pin"];

function j(category: PskCategory, activities: Activity[] | null, o: Partial<ActivationInput> = {}) {
  return judgeActivation({ category, unpairedAccess: false, activities, activeRoles: [], selectedPairMethod: "absent", offeredMethods: ALL, ...o });
}

function reason(v: ReturnType<typeof judgeActivation>): string {
  return v.admissible ? "ok" : `${v.message}:${v.reason}`;
}

describe("admission table", () => {
  test("allowed sets per PSK category", () => {
    const sets: Activity[][] = [[], ["playback"], ["management"], ["playback", "management"], ["management", "playback"], ["pairing"], ["pairing", "playback"], ["pairing", "management"], ["playback", "pairing", "management"]];
    const expect: Record<PskCategory, boolean[]> = {
      long_term: [true, true, true, true, true, true, false, false, false],
      pairing_psk: [false, false, false, false, false, true, false, false, false],
      sentinel: [true, false, false, false, false, true, false, false, false],
    };
    for (const cat of ["long_term", "pairing_psk", "sentinel"] as PskCategory[]) {
      sets.forEach((s, i) => assert.equal(isAllowedSet(cat, s, false), expect[cat][i], `${cat} ${JSON.stringify(s)}`));
    }
    assert.ok(isAllowedSet("sentinel", ["playback"], true), "Sentinel ['playback'] with unpaired access");
    assert.ok(!isAllowedSet("sentinel", ["playback", "management"], true));
    assert.ok(!isAllowedSet("long_term", null, true), "malformed activities are never allowed");
  });

  test("playback-capable connections", () => {
    assert.ok(isPlaybackCapable("long_term", [], false));
    assert.ok(isPlaybackCapable("long_term", ["management"], false));
    assert.ok(!isPlaybackCapable("long_term", ["pairing"], false));
    assert.ok(!isPlaybackCapable("pairing_psk", ["pairing"], false));
    assert.ok(!isPlaybackCapable("sentinel", [], false));
    assert.ok(isPlaybackCapable("sentinel", [], true));
    assert.ok(isPlaybackCapable("sentinel", ["playback"], true));
    assert.ok(!isPlaybackCapable("sentinel", ["pairing"], true));
  });

  test("long-term PSK rows", () => {
    assert.equal(reason(j("long_term", [])), "ok");
    assert.equal(reason(j("long_term", ["playback"], { activeRoles: ["player@v1"] })), "ok");
    assert.equal(reason(j("long_term", ["management"], { activeRoles: ["player@v1"] })), "ok", "roles without 'playback' on a playback-capable connection");
    assert.equal(reason(j("long_term", ["playback", "management"])), "ok");
    assert.equal(reason(j("long_term", ["pairing"], { selectedPairMethod: "dynamic_pin" })), "ok");
    assert.equal(reason(j("long_term", ["pairing"], { selectedPairMethod: "static_pin" })), "ok");
    assert.equal(reason(j("long_term", ["pairing"], { selectedPairMethod: "pairing_psk" })), "pair_abort:method_not_supported");
    assert.equal(reason(j("long_term", ["pairing", "playback"], { selectedPairMethod: "dynamic_pin" })), "goodbye:unauthorized");
    assert.equal(reason(j("long_term", ["pairing"], { selectedPairMethod: "dynamic_pin", activeRoles: ["player@v1"] })), "goodbye:unauthorized");
  });

  test("pairing PSK rows", () => {
    assert.equal(reason(j("pairing_psk", ["pairing"], { selectedPairMethod: "pairing_psk" })), "ok");
    assert.equal(reason(j("pairing_psk", ["pairing"], { selectedPairMethod: "dynamic_pin" })), "pair_abort:method_not_supported");
    assert.equal(reason(j("pairing_psk", ["pairing"], { selectedPairMethod: "absent" })), "pair_abort:method_not_supported");
    assert.equal(reason(j("pairing_psk", [])), "goodbye:unauthorized");
    assert.equal(reason(j("pairing_psk", ["playback"])), "goodbye:unauthorized");
    assert.equal(reason(j("pairing_psk", ["management"])), "goodbye:unauthorized");
    assert.equal(reason(j("pairing_psk", ["pairing"], { selectedPairMethod: "pairing_psk", activeRoles: ["player@v1"] })), "goodbye:unauthorized");
  });

  test("Sentinel rows, unpaired access off and on", () => {
    assert.equal(reason(j("sentinel", [])), "ok");
    assert.equal(reason(j("sentinel", ["pairing"], { selectedPairMethod: "dynamic_pin" })), "ok");
    assert.equal(reason(j("sentinel", ["pairing"], { selectedPairMethod: "static_pin" })), "ok");
    assert.equal(reason(j("sentinel", ["playback"])), "goodbye:pairing_required");
    assert.equal(reason(j("sentinel", ["playback"], { activeRoles: ["player@v1"] })), "goodbye:pairing_required");
    assert.equal(reason(j("sentinel", [], { activeRoles: ["player@v1"] })), "goodbye:pairing_required");
    assert.equal(reason(j("sentinel", ["management"])), "goodbye:unauthorized");
    assert.equal(reason(j("sentinel", ["playback", "management"])), "goodbye:unauthorized");
    assert.equal(reason(j("sentinel", ["pairing"], { selectedPairMethod: "pairing_psk" })), "pair_abort:method_not_supported");
    assert.equal(reason(j("sentinel", ["pairing"], { selectedPairMethod: "dynamic_pin", activeRoles: ["player@v1"] })), "goodbye:unauthorized");
    const on = { unpairedAccess: true };
    assert.equal(reason(j("sentinel", ["playback"], { ...on, activeRoles: ["player@v1"] })), "ok");
    assert.equal(reason(j("sentinel", [], { ...on, activeRoles: ["player@v1"] })), "ok");
    assert.equal(reason(j("sentinel", ["management"], on)), "goodbye:unauthorized");
    assert.equal(reason(j("sentinel", ["pairing"], { ...on, selectedPairMethod: "dynamic_pin", activeRoles: ["player@v1"] })), "goodbye:unauthorized");
  });

  test("methods not offered, unknown methods, malformed fields", () => {
    assert.equal(reason(j("sentinel", ["pairing"], { selectedPairMethod: "static_pin", offeredMethods: ["pairing_psk", "dynamic_pin"] })), "pair_abort:method_not_supported");
    assert.equal(reason(j("sentinel", ["pairing"], { selectedPairMethod: "unknown" })), "pair_abort:method_not_supported");
    assert.equal(reason(j("sentinel", null)), "goodbye:unauthorized");
    assert.equal(reason(j("long_term", [], { activeRoles: undefined })), "goodbye:unauthorized", "active_roles missing on the first activation");
    assert.equal(reason(j("long_term", [], { activeRoles: null })), "goodbye:unauthorized", "active_roles malformed");
    assert.equal(reason(j("long_term", ["playback"], { selectedPairMethod: "dynamic_pin" })), "goodbye:unauthorized", "selected_pair_method without pairing");
    // rule order: pairing_required is chosen before unauthorized when enabling unpaired access would admit it
    assert.equal(reason(j("sentinel", ["playback"], { activeRoles: undefined })), "goodbye:unauthorized", "not admissible even with unpaired access");
  });
});

describe("admission through a session", () => {
  const rows: { cat: "sentinel" | "pairing_psk" | "long_term"; unpaired?: boolean; activate: Record<string, unknown>; expect: string }[] = [
    { cat: "long_term", activate: { activities: [], active_roles: [] }, expect: "ok" },
    { cat: "long_term", activate: { activities: ["playback"], active_roles: ["player@v1"] }, expect: "ok" },
    { cat: "long_term", activate: { activities: ["management"], active_roles: [] }, expect: "ok" },
    { cat: "long_term", activate: { activities: ["playback", "management"], active_roles: ["player@v1"] }, expect: "ok" },
    { cat: "long_term", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" }, expect: "client/pair-init" },
    { cat: "long_term", activate: { activities: ["pairing", "playback"], active_roles: [], selected_pair_method: "dynamic_pin" }, expect: "client/goodbye:unauthorized" },
    { cat: "pairing_psk", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" }, expect: "client/pair-finalize" },
    { cat: "pairing_psk", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "static_pin" }, expect: "pair/abort:method_not_supported" },
    { cat: "pairing_psk", activate: { activities: ["playback"], active_roles: [] }, expect: "client/goodbye:unauthorized" },
    { cat: "pairing_psk", activate: { activities: ["management"], active_roles: [] }, expect: "client/goodbye:unauthorized" },
    { cat: "sentinel", activate: { activities: [], active_roles: [] }, expect: "ok" },
    { cat: "sentinel", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "dynamic_pin" }, expect: "client/pair-init" },
    { cat: "sentinel", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "static_pin" }, expect: "ok" },
    { cat: "sentinel", activate: { activities: ["pairing"], active_roles: [], selected_pair_method: "pairing_psk" }, expect: "pair/abort:method_not_supported" },
    { cat: "sentinel", activate: { activities: ["playback"], active_roles: ["player@v1"] }, expect: "client/goodbye:pairing_required" },
    { cat: "sentinel", activate: { activities: [], active_roles: ["player@v1"] }, expect: "client/goodbye:pairing_required" },
    { cat: "sentinel", activate: { activities: ["management"], active_roles: [] }, expect: "client/goodbye:unauthorized" },
    { cat: "sentinel", unpaired: true, activate: { activities: ["playback"], active_roles: ["player@v1"] }, expect: "ok" },
    { cat: "sentinel", unpaired: true, activate: { activities: [], active_roles: ["player@v1"] }, expect: "ok" },
    { cat: "sentinel", unpaired: true, activate: { activities: ["playback", "management"], active_roles: [] }, expect: "client/goodbye:unauthorized" },
    { cat: "long_term", activate: { activities: [] }, expect: "client/goodbye:unauthorized" },
    { cat: "long_term", activate: { activities: "playback", active_roles: [] }, expect: "client/goodbye:unauthorized" },
    { cat: "long_term", activate: { activities: ["playback", "playback"], active_roles: [] }, expect: "client/goodbye:unauthorized" },
    { cat: "long_term", activate: { activities: ["dancing"], active_roles: [] }, expect: "client/goodbye:unauthorized" },
  ];
  for (const r of rows) {
    test(`${r.cat}${r.unpaired ? " +unpaired" : ""} ${JSON.stringify(r.activate)} → ${r.expect}`, () => {
      const rig = makeRig({ settings: { unpairedAccess: !!r.unpaired } });
      const peer = new TestPeer(rig.sessions, rig.crypto);
      let psk = SENTINEL_PSK;
      if (r.cat === "pairing_psk") psk = rig.store.settings.pairingPsk;
      if (r.cat === "long_term") {
        psk = rig.random.bytes(32);
        rig.store.addRecord(psk, peer.serverId);
      }
      peer.open(psk);
      peer.send("server/activate", r.activate);
      const m = peer.recv();
      const got = m === null ? "ok" : m.type === "client/goodbye" || m.type === "pair/abort" ? `${m.type}:${m.payload.reason}` : m.type;
      assert.equal(got, r.expect);
      if (r.expect.indexOf(":") > 0) assert.ok(peer.closed, "closed after the refusal");
      else assert.ok(!peer.closed);
      const player = (r.activate.active_roles as string[] | undefined)?.indexOf("player@v1") === 0 && r.expect === "ok";
      assert.equal(rig.player.active, player);
    });
  }

  test("active_roles persist across activations that omit them, and the player follows them", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const psk = rig.random.bytes(32);
    rig.store.addRecord(psk, peer.serverId);
    peer.open(psk);
    peer.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    assert.ok(rig.player.active);
    peer.send("server/activate", { activities: [] });
    assert.ok(rig.player.active, "roles persist while omitted");
    assert.ok(!peer.closed);
    peer.send("server/activate", { activities: ["playback"], active_roles: [] });
    assert.ok(!rig.player.active, "role removed");
    peer.send("server/activate", { activities: ["playback"], active_roles: ["player@v1", "controller@v1"] });
    assert.ok(rig.player.active);
    // moving into pairing with the persisted (non-empty) roles is not admissible
    peer.send("server/activate", { activities: ["pairing"], selected_pair_method: "dynamic_pin" });
    assert.equal(peer.expect("client/goodbye").reason, "unauthorized");
    assert.ok(!rig.player.active);
  });

  test("player messages and audio reach the Player only while player@v1 is active", () => {
    const rig = makeRig();
    const peer = new TestPeer(rig.sessions, rig.crypto);
    const psk = rig.random.bytes(32);
    rig.store.addRecord(psk, peer.serverId);
    peer.open(psk);
    peer.send("server/activate", { activities: ["playback"], active_roles: [] });
    peer.send("stream/start", { server_transmitted: 1 });
    peer.sendBytes(4, new Uint8Array(20));
    assert.deepEqual(rig.player.calls, []);
    peer.send("server/activate", { activities: ["playback"], active_roles: ["player@v1"] });
    peer.send("stream/start", { server_transmitted: 1 });
    peer.send("group/update", { group_id: "g" });
    peer.sendBytes(4, new Uint8Array(20));
    peer.sendBytes(8, new Uint8Array(20));
    assert.deepEqual(rig.player.calls, ["activate", "message stream/start", "audio 20"]);
    assert.ok(!peer.closed);
    peer.close();
    assert.deepEqual(rig.player.calls.slice(-1), ["deactivate"]);
  });
});
