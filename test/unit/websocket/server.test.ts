import { assert, describe, report, test } from "../../harness.js";
import { WebSocketServer, type WebSocketServerOptions, type WsConnection } from "../../../modules/websocket/server.js";
import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT } from "../../../modules/websocket/frames.js";
import { concatBytes } from "../../../modules/util/bytes.js";
import { utf8Decode, utf8Encode } from "../../../modules/util/utf8.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { ManualClock } from "../../support/clock.js";
import { MemoryListener, type MemoryPeer } from "../../support/memory-listener.js";
import { ServerStreamReader, clientFrame, closePayload, upgradeRequest } from "../../support/ws-peer.js";

interface Rig {
  clock: ManualClock;
  listener: MemoryListener;
  server: WebSocketServer;
  conns: WsConnection[];
  log: string[];
}

/** A server whose connections echo every message and record what happened. */
function rig(o: Partial<WebSocketServerOptions> = {}, setup?: (c: WsConnection, log: string[]) => void): Rig {
  const clock = new ManualClock();
  const listener = new MemoryListener();
  const conns: WsConnection[] = [];
  const log: string[] = [];
  const server = new WebSocketServer(listener, {
    port: 8928,
    path: "/sendspin",
    maxMessageBytes: 70_000,
    maxBufferedBytes: 80_000,
    maxConnections: 3,
    clock,
    onConnection: (c) => {
      conns.push(c);
      c.onText = (t) => {
        log.push("text:" + utf8Decode(t));
        c.sendText(t);
      };
      c.onBinary = (b) => {
        log.push("binary:" + b.length);
        c.sendBinary(b);
      };
      c.onClose = (code) => log.push("close:" + code);
      c.onWritable = () => log.push("writable");
      setup?.(c, log);
    },
    ...o,
  });
  return { clock, listener, server, conns, log };
}

function open(r: Rig, window?: number): { peer: MemoryPeer; reader: ServerStreamReader } {
  const peer = r.listener.connect(window);
  const reader = new ServerStreamReader();
  peer.send(upgradeRequest());
  reader.push(peer.take());
  assert.equal(reader.status, 101);
  return { peer, reader };
}

describe("websocket server (in-memory transport)", () => {
  test("Sec-WebSocket-Accept comes from the sha1 option when given (the device's native SHA-1)", () => {
    const hashed: number[] = [];
    const r = rig({
      sha1: (data) => {
        hashed.push(data.length);
        return sha1(data);
      },
    });
    const { reader } = open(r);
    assert.equal(reader.header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.deepEqual(hashed, [24 + 36], "one hash of the key and the RFC 6455 GUID");
  });

  test("upgrade, echo text and binary, close handshake started by the peer", () => {
    const r = rig();
    const { peer, reader } = open(r);
    assert.equal(reader.header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.equal(r.conns.length, 1);
    assert.equal(r.conns[0].remoteAddress, "127.0.0.1");
    peer.send(clientFrame(OP_TEXT, utf8Encode("{\"type\":\"client/init\"}")));
    peer.send(clientFrame(OP_BINARY, new Uint8Array(70_000).fill(7)));
    peer.send(clientFrame(OP_CLOSE, closePayload(1000, "done")));
    reader.push(peer.take());
    assert.deepEqual(r.log, ["text:{\"type\":\"client/init\"}", "binary:70000", "close:1000"]);
    assert.equal(reader.events.length, 3);
    assert.equal(reader.events[0].kind, "text");
    assert.equal(reader.events[1].kind, "binary");
    assert.deepEqual(reader.closeCodes(), [1000]);
    assert.ok(peer.serverClosed, "the server ends TCP after echoing the close");
    assert.equal(r.server.connectionCount, 0);
    assert.equal(r.clock.pendingTimers(), 0);
  });

  test("the whole exchange gives the same result for every split of the client's bytes", () => {
    const text = utf8Encode("ünïcödé ♪");
    const stream = concatBytes(
      upgradeRequest(),
      clientFrame(OP_TEXT, text),
      clientFrame(OP_BINARY, new Uint8Array(200).fill(3), { fin: false }),
      clientFrame(OP_PING, utf8Encode("hi")),
      clientFrame(OP_CONTINUATION, new Uint8Array(100).fill(4)),
      clientFrame(OP_CLOSE, closePayload(1001)),
    );
    let runs = 0;
    let expected = "";
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = rig();
      const peer = r.listener.connect();
      peer.sendSplit(stream, [cut]);
      const reader = new ServerStreamReader();
      reader.push(peer.take());
      const summary = JSON.stringify([reader.status, r.log, reader.events.map((e) => e.kind + ("opcode" in e ? e.opcode : "") + ":" + ("data" in e ? e.data.length : 0)), peer.serverClosed]);
      if (cut === 0) expected = summary;
      assert.equal(summary, expected, `cut at ${cut}`);
      runs++;
    }
    assert.ok(expected.includes("pong") || expected.includes(`control${OP_PONG}:2`), expected);
    assert.ok(expected.includes("close:1001"), expected);
    report(`server exchange of ${stream.length} bytes replayed at ${runs} cut points`);
  });

  test("wrong path 404, bad upgrade 400, then the connection closes and frees its slot", () => {
    const r = rig();
    for (const [req, status] of [
      [upgradeRequest("/nope"), 404],
      [upgradeRequest("/sendspin", { version: "7" }), 426],
      [utf8Encode("GET /sendspin HTTP/1.1\r\nHost: x\r\n\r\n"), 400],
      [utf8Encode("hello\r\n\r\n"), 400],
    ] as [Uint8Array, number][]) {
      const peer = r.listener.connect();
      peer.send(req);
      const reader = new ServerStreamReader();
      reader.push(peer.take());
      assert.equal(reader.status, status);
      assert.ok(peer.serverClosed);
    }
    assert.equal(r.conns.length, 0);
    assert.equal(r.server.connectionCount, 0);
  });

  test("slowloris: a request head trickling in is cut off by the handshake timeout (408)", () => {
    const r = rig({ handshakeTimeoutMs: 5000 });
    const peer = r.listener.connect();
    const req = upgradeRequest();
    for (let i = 0; i < 40; i++) {
      peer.send(req.subarray(i, i + 1));
      r.clock.advanceMs(100);
    }
    assert.ok(!peer.serverClosed);
    r.clock.advanceMs(1000);
    assert.ok(peer.serverClosed);
    const reader = new ServerStreamReader();
    reader.push(peer.take());
    assert.equal(reader.status, 408);
    assert.equal(r.server.connectionCount, 0);
  });

  test("an endless header is cut off at maxHeaderBytes (431)", () => {
    const r = rig({ maxHeaderBytes: 1024 });
    const peer = r.listener.connect();
    peer.send(utf8Encode("GET /sendspin HTTP/1.1\r\n"));
    for (let i = 0; i < 100 && !peer.serverClosed; i++) peer.send(utf8Encode("X-Filler: aaaaaaaaaaaaaaaa\r\n"));
    assert.ok(peer.serverClosed);
    const reader = new ServerStreamReader();
    reader.push(peer.take());
    assert.equal(reader.status, 431);
  });

  test("the connection cap, every slot trusted: one more is answered 503 and closed; a freed slot is reused", () => {
    const r = rig({ maxConnections: 2 }, (c) => c.markTrusted());
    const a = open(r);
    open(r);
    const extra = r.listener.connect();
    const reader = new ServerStreamReader();
    reader.push(extra.take());
    assert.equal(reader.status, 503);
    assert.ok(extra.serverClosed);
    assert.equal(r.server.connectionCount, 2);
    a.peer.closeFromPeer();
    assert.deepEqual(r.log, ["close:1006"]);
    open(r);
    assert.equal(r.server.connectionCount, 2);
    // sockets beyond the cap that cannot even be answered (no send space) are dropped at once
    const silent = r.listener.connect(0);
    assert.ok(!silent.serverClosed, "waits for send space to answer 503");
    const silent2 = r.listener.connect(0);
    const silent3 = r.listener.connect(0);
    assert.ok(silent3.serverClosed, "refusals in flight are capped too");
    silent.grant(1000);
    assert.ok(silent.serverClosed);
    r.clock.advanceMs(5000);
    assert.ok(silent2.serverClosed, "an unanswerable refusal ends after closeTimeoutMs");
  });

  test("admission at the cap: the oldest untrusted connection makes room, trusted ones never do", () => {
    const r = rig({ maxConnections: 3 });
    const trusted = open(r);
    r.conns[0].markTrusted();
    const idle = r.listener.connect(); // TCP only, not a byte
    const upgraded = open(r); // a WebSocket that says nothing
    assert.equal(r.server.connectionCount, 3);
    const newcomer = open(r); // not 503: the idle socket, the oldest untrusted, was dropped
    assert.ok(idle.serverClosed, "the idle socket made room");
    assert.equal(idle.take().length, 0, "dropped without a response");
    assert.ok(!upgraded.peer.serverClosed && !trusted.peer.serverClosed);
    open(r);
    assert.ok(upgraded.peer.serverClosed, "then the silent WebSocket, the next oldest");
    assert.deepEqual(r.log, ["close:1006"], "its user hears an abnormal close");
    assert.ok(!trusted.peer.serverClosed && !newcomer.peer.serverClosed);
    // everything but the trusted one churns; the trusted one is never dropped
    for (let i = 0; i < 10; i++) open(r);
    assert.ok(!trusted.peer.serverClosed, "the trusted connection stays");
    assert.equal(r.server.connectionCount, 3);
    assert.deepEqual(r.server.stats, { connectionHighWater: 3, evictions: 12 });
  });

  test("admission at the cap: the host holding the most untrusted connections yields first, not an older lone one", () => {
    const r = rig({ maxConnections: 3, maxUntrustedPerAddress: 2 });
    const lone = r.listener.connect(undefined, "127.0.0.1"); // a real server mid-handshake
    const a1 = r.listener.connect(undefined, "127.0.0.2");
    const a2 = r.listener.connect(undefined, "127.0.0.2");
    r.listener.connect(undefined, "127.0.0.3"); // another host: 127.0.0.2 holds two, the lone one is older
    assert.ok(a1.serverClosed, "the oldest of the host holding two");
    assert.ok(!lone.serverClosed && !a2.serverClosed);
    for (let i = 0; i < 20; i++) r.listener.connect(undefined, `127.0.0.${2 + (i % 2)}`); // two hosts churning
    assert.ok(!lone.serverClosed, "the lone connection outlasts two hosts that keep reconnecting");
    assert.equal(r.server.connectionCount, 3);
  });

  test("admission at the cap, one connection per host: a silent one yields before one that has spoken", () => {
    const r = rig({ maxConnections: 3 });
    const spoke = r.listener.connect(undefined, "127.0.0.1");
    spoke.send(concatBytes(upgradeRequest(), clientFrame(OP_TEXT, utf8Encode("server/init"))));
    const upgraded = r.listener.connect(undefined, "127.0.0.2");
    upgraded.send(upgradeRequest());
    const idle = r.listener.connect(undefined, "127.0.0.3");
    r.listener.connect(undefined, "127.0.0.4");
    assert.ok(idle.serverClosed, "no upgrade: first to go, although the youngest");
    for (let i = 5; i < 10; i++) r.listener.connect(undefined, `127.0.0.${i}`);
    assert.ok(!upgraded.serverClosed, "idle newcomers churn among themselves: upgraded beats not upgraded");
    const other = r.listener.connect(undefined, "127.0.0.10");
    other.send(upgradeRequest());
    r.listener.connect(undefined, "127.0.0.11");
    assert.ok(upgraded.serverClosed, "with no idle one left, the oldest silent WebSocket goes");
    assert.ok(!spoke.serverClosed, "the one that spoke stays");
  });

  test("admission per address: a third untrusted connection from one address drops that address's oldest", () => {
    const r = rig({ maxConnections: 8, maxUntrustedPerAddress: 2 });
    const other = r.listener.connect(undefined, "127.0.0.9");
    const a1 = r.listener.connect(undefined, "127.0.0.2");
    const a2 = r.listener.connect(undefined, "::ffff:127.0.0.2"); // the same host, IPv6-mapped
    assert.ok(!a1.serverClosed && !a2.serverClosed);
    const a3 = r.listener.connect(undefined, "127.0.0.2");
    assert.ok(a1.serverClosed, "the address's oldest made room");
    assert.ok(!a2.serverClosed && !a3.serverClosed && !other.serverClosed, "nobody else was touched");
    // a trusted connection from the address does not count against its cap
    a2.send(upgradeRequest());
    r.conns[0].markTrusted();
    r.listener.connect(undefined, "127.0.0.2");
    r.listener.connect(undefined, "127.0.0.2");
    assert.ok(!a2.serverClosed, "trusted: kept");
    assert.ok(a3.serverClosed);
    assert.equal(r.server.connectionCount, 4);
  });

  test("the preAuth gate: accepting and upgrading run inside it; refused, the connection is dropped unanswered", () => {
    const seen: string[] = [];
    let allow = false;
    const r = rig({
      preAuth: (address, work) => {
        seen.push(`${address}:${allow}`);
        if (allow) work();
        return allow;
      },
    });
    const refused = r.listener.connect();
    assert.ok(refused.serverClosed, "refused at accept");
    assert.equal(r.server.connectionCount, 0, "not even a slot");
    allow = true;
    const late = r.listener.connect();
    allow = false;
    late.send(upgradeRequest());
    assert.ok(late.serverClosed, "refused at the upgrade");
    assert.equal(late.take().length, 0);
    allow = true;
    const { peer } = open(r);
    peer.send(clientFrame(OP_TEXT, utf8Encode("hi")));
    assert.deepEqual(seen, ["127.0.0.1:false", "127.0.0.2:true", "127.0.0.2:false", "127.0.0.3:true", "127.0.0.3:true"], "accept and upgrade pass through the gate, messages do not");
    assert.deepEqual(r.log, ["text:hi"]);
    assert.equal(r.server.connectionCount, 1);
  });

  test("protocol violations: close frame with 1002 / 1007 / 1009, then TCP closes", () => {
    const cases: [Uint8Array, number][] = [
      [clientFrame(OP_TEXT, utf8Encode("x"), { unmasked: true }), 1002],
      [clientFrame(OP_TEXT, utf8Encode("x"), { rsv: 2 }), 1002],
      [clientFrame(0x5, utf8Encode("x")), 1002],
      [clientFrame(OP_PING, utf8Encode("x"), { fin: false }), 1002],
      [clientFrame(OP_TEXT, Uint8Array.of(0xc0, 0xaf)), 1007],
      [clientFrame(OP_BINARY, new Uint8Array(0), { claimedLength: 70_001 }), 1009],
      [clientFrame(OP_BINARY, new Uint8Array(0), { claimedLength: 2 ** 62 }), 1009],
      [clientFrame(OP_TEXT, new Uint8Array(0), { claimedLength: 16_385 }), 1009],
    ];
    for (const [bytes, code] of cases) {
      const r = rig();
      const { peer, reader } = open(r);
      peer.send(concatBytes(bytes, clientFrame(OP_TEXT, utf8Encode("after"))));
      reader.push(peer.take());
      assert.deepEqual(reader.closeCodes(), [code]);
      assert.ok(peer.serverClosed);
      assert.deepEqual(r.log, [`close:${code}`], "nothing after the violation is delivered");
    }
  });

  test("server-initiated close waits for the peer's close frame, or for closeTimeoutMs", () => {
    const r = rig();
    const { peer, reader } = open(r);
    r.conns[0].close(4000);
    reader.push(peer.take());
    assert.deepEqual(reader.closeCodes(), [4000]);
    assert.ok(!peer.serverClosed);
    assert.equal(r.conns[0].sendText(utf8Encode("late")), false, "no data after our close frame");
    peer.send(clientFrame(OP_TEXT, utf8Encode("discarded")));
    peer.send(clientFrame(OP_CLOSE, closePayload(4000)));
    assert.ok(peer.serverClosed);
    assert.deepEqual(r.log, ["close:4000"]);

    const r2 = rig({ closeTimeoutMs: 2000 });
    const b = open(r2);
    r2.conns[0].close();
    r2.clock.advanceMs(1999);
    assert.ok(!b.peer.serverClosed);
    r2.clock.advanceMs(1);
    assert.ok(b.peer.serverClosed);
    assert.deepEqual(r2.log, ["close:1000"]);
  });

  test("ping is answered with a pong carrying the same payload; an empty close is echoed empty", () => {
    const r = rig();
    const { peer, reader } = open(r);
    peer.send(clientFrame(OP_PING, utf8Encode("are you there")));
    peer.send(clientFrame(OP_CLOSE, new Uint8Array(0)));
    reader.push(peer.take());
    assert.equal(reader.events.length, 2);
    const pong = reader.events[0];
    assert.ok(pong.kind === "control" && pong.opcode === OP_PONG && utf8Decode(pong.data) === "are you there");
    const close = reader.events[1];
    assert.ok(close.kind === "control" && close.opcode === OP_CLOSE && close.data.length === 0);
    assert.deepEqual(r.log, ["close:1005"]);
  });

  test("back-pressure: sends queue within maxBufferedBytes, refuse beyond, drain in order, then onWritable", () => {
    const sent: number[] = [];
    const r = rig({ maxBufferedBytes: 10_000 });
    const { peer, reader } = open(r, 1000);
    reader.push(peer.take());
    const c = r.conns[0];
    const msg = (i: number) => new Uint8Array(3000).fill(i);
    let i = 0;
    while (c.sendBinary(msg(i))) sent.push(i++);
    // the first frame partly went to the socket, the rest is queued, bounded by maxBufferedBytes
    assert.ok(sent.length === 3 || sent.length === 4, `sent ${sent.length}`);
    assert.ok(c.bufferedAmount() <= 10_000);
    assert.equal(peer.refusedWrites, 0, "never writes more than writable()");
    assert.equal(c.sendBinary(new Uint8Array(10_001)), false, "larger than the whole buffer");
    assert.deepEqual(r.log, []);
    // space frees before the driver says so (device notifications are asynchronous): a new frame must
    // still go behind the queued ones, never ahead of them
    peer.window += 500;
    assert.ok(c.sendBinary(Uint8Array.of(99)));
    sent.push(99);
    for (let k = 0; k < 20 && c.bufferedAmount() > 0; k++) {
      peer.grant(700);
      reader.push(peer.take());
    }
    assert.equal(c.bufferedAmount(), 0);
    assert.deepEqual(r.log, ["writable"]);
    const got = reader.events.map((e) => (e.kind === "binary" ? e.data[0] + ":" + e.data.length : e.kind));
    assert.deepEqual(got, sent.map((k) => k + (k === 99 ? ":1" : ":3000")));
    // a ping while the queue is full still gets its pong, from the control reserve
    while (c.sendBinary(msg(9))) {}
    peer.send(clientFrame(OP_PING, utf8Encode("x")));
    peer.grant(1 << 20);
    reader.push(peer.take());
    assert.equal(reader.events[reader.events.length - 1].kind, "control");
  });

  test("an exception in a user callback closes with 1011 and never escapes", () => {
    const r = rig({}, (c) => {
      c.onBinary = () => {
        throw new Error("boom");
      };
    });
    const { peer, reader } = open(r);
    peer.send(clientFrame(OP_BINARY, Uint8Array.of(1)));
    reader.push(peer.take());
    assert.deepEqual(reader.closeCodes(), [1011]);
    assert.ok(peer.serverClosed);
    const r2 = rig({}, () => {
      throw new Error("refused in onConnection");
    });
    const b = open(r2);
    assert.deepEqual(b.reader.closeCodes(), [1011]);
  });

  test("the peer dropping TCP reports 1006; server close sends 1001 to every open connection", () => {
    const r = rig();
    const a = open(r);
    const b = open(r);
    a.peer.closeFromPeer();
    assert.deepEqual(r.log, ["close:1006"]);
    const pending = r.listener.connect(); // still upgrading
    r.server.close();
    b.reader.push(b.peer.take());
    assert.deepEqual(b.reader.closeCodes(), [1001]);
    assert.ok(pending.serverClosed);
    b.peer.send(clientFrame(OP_CLOSE, closePayload(1001)));
    assert.ok(b.peer.serverClosed);
    assert.equal(r.server.connectionCount, 0);
    assert.ok(!r.listener.listening);
  });

  test("a text message is handed over as its exact bytes, in a copy the receiver may keep", () => {
    const kept: Uint8Array[] = [];
    const r = rig({}, (c) => {
      c.onText = (t) => kept.push(t);
    });
    const { peer } = open(r);
    const a = utf8Encode("{\"type\":\"server/init\",\"payload\":{}}");
    const b = utf8Encode("{ \"x\" :  1 }");
    peer.send(clientFrame(OP_TEXT, a));
    peer.send(clientFrame(OP_TEXT, b));
    assert.deepEqual(kept[0], a);
    assert.deepEqual(kept[1], b);
  });
});
