// The WebSocket server over real loopback TCP (sim/listener.ts on 127.0.0.1), driven by the `ws` npm
// package as an independent, real client.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { once } from "node:events";
import WebSocket from "ws";
import { NodeListener } from "../../../sim/listener.js";
import { WebSocketServer, type WebSocketServerOptions, type WsConnection } from "../../../modules/websocket/server.js";
import type { ClockPort, TimerHandle } from "../../../modules/platform.js";

interface NodeTimer extends TimerHandle {
  readonly _timer: NodeJS.Timeout;
}

const clock: ClockPort = {
  nowUs: () => Math.floor(performance.now() * 1000),
  setTimeout: (cb, ms) => ({ _timer: setTimeout(cb, ms) }) as NodeTimer,
  setInterval: (cb, ms) => ({ _timer: setInterval(cb, ms) }) as NodeTimer,
  clear: (t) => {
    if (t) clearTimeout((t as NodeTimer)._timer);
  },
};

interface Started {
  server: WebSocketServer;
  url: string;
  conns: WsConnection[];
  closes: number[];
}

/** A server on 127.0.0.1 (any free port) echoing every message unless `setup` installs other handlers. */
async function start(o: Partial<WebSocketServerOptions> = {}, setup?: (c: WsConnection) => void, sendBufferBytes?: number): Promise<Started> {
  const listener = new NodeListener({ host: "127.0.0.1", sendBufferBytes });
  const conns: WsConnection[] = [];
  const closes: number[] = [];
  const server = new WebSocketServer(listener, {
    port: 0,
    path: "/sendspin",
    maxMessageBytes: 300_000,
    maxBufferedBytes: 310_000,
    maxConnections: 3,
    clock,
    onConnection: (c) => {
      conns.push(c);
      c.onText = (t) => c.sendText(t);
      c.onBinary = (b) => c.sendBinary(b);
      c.onClose = (code) => closes.push(code);
      setup?.(c);
    },
    ...o,
  });
  const port = await listener.bound();
  assert.equal(server.port, port);
  return { server, url: `ws://127.0.0.1:${port}/sendspin`, conns, closes };
}

async function client(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await once(ws, "open");
  return ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once("message", (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

async function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await once(ws, "close")) as [number, Buffer];
  return { code, reason: reason.toString() };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >> 9)) & 255;
  return b;
}

test("text and binary echo; 7-, 16- and 64-bit lengths", { timeout: 20_000 }, async () => {
  const s = await start();
  const ws = await client(s.url);
  ws.send("héllo ♪ 🎵");
  let m = await nextMessage(ws);
  assert.equal(m.isBinary, false);
  assert.equal(m.data.toString("utf8"), "héllo ♪ 🎵");
  for (const n of [0, 1, 125, 126, 127, 65535, 65536, 65537, 300_000]) {
    const payload = pattern(n, n);
    ws.send(payload);
    m = await nextMessage(ws);
    assert.equal(m.isBinary, true);
    assert.equal(Buffer.compare(m.data, payload), 0, `length ${n}`);
  }
  ws.close(1000);
  await closed(ws);
  s.server.close();
});

test("fragmented messages (continuation frames) are reassembled", { timeout: 20_000 }, async () => {
  const s = await start();
  const ws = await client(s.url);
  const parts = [pattern(1000, 1), pattern(70_000, 2), pattern(1, 3)];
  ws.send(parts[0], { fin: false, binary: true });
  ws.send(parts[1], { fin: false, binary: true });
  ws.send(parts[2], { fin: true, binary: true });
  const m = await nextMessage(ws);
  assert.equal(Buffer.compare(m.data, Buffer.concat(parts)), 0);
  ws.send("ab", { fin: false, binary: false });
  ws.send("cd", { fin: true, binary: false });
  const t = await nextMessage(ws);
  assert.equal(t.data.toString(), "abcd");
  ws.close();
  await closed(ws);
  s.server.close();
});

test("ping gets a pong with the same payload", { timeout: 20_000 }, async () => {
  const s = await start();
  const ws = await client(s.url);
  ws.ping(Buffer.from("are you there"));
  const [payload] = (await once(ws, "pong")) as [Buffer];
  assert.equal(payload.toString(), "are you there");
  ws.close();
  await closed(ws);
  s.server.close();
});

test("close handshake, from either side", { timeout: 20_000 }, async () => {
  const s = await start();
  const ws = await client(s.url);
  ws.close(4000, "bye");
  assert.equal((await closed(ws)).code, 4000);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(s.closes, [4000]);
  const ws2 = await client(s.url);
  s.conns[1].close(4001);
  assert.equal((await closed(ws2)).code, 4001);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(s.closes, [4000, 4001]);
  assert.equal(s.server.connectionCount, 0);
  s.server.close();
});

test("a wrong path gets 404, a plain GET 400, both followed by the end of the connection", { timeout: 20_000 }, async () => {
  const s = await start();
  const bad = new WebSocket(s.url.replace("/sendspin", "/elsewhere"));
  const [, res] = (await once(bad, "unexpected-response")) as [unknown, { statusCode: number }];
  assert.equal(res.statusCode, 404);
  bad.on("error", () => {}); // terminating before "open" reports an error by design
  bad.terminate();
  const port = Number(new URL(s.url).port);
  const sock = tcpConnect(port, "127.0.0.1");
  await once(sock, "connect");
  sock.write("GET /sendspin HTTP/1.1\r\nHost: x\r\n\r\n");
  const chunks: Buffer[] = [];
  sock.on("data", (d) => chunks.push(d));
  await once(sock, "close");
  assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(s.server.connectionCount, 0);
  s.server.close();
});

test("the connection cap (maxConnections), every slot trusted: one more is refused with 503", { timeout: 20_000 }, async () => {
  const s = await start({ maxConnections: 2 }, (c) => c.markTrusted());
  const a = await client(s.url);
  const b = await client(s.url);
  const c = new WebSocket(s.url);
  const [, res] = (await once(c, "unexpected-response")) as [unknown, { statusCode: number }];
  assert.equal(res.statusCode, 503);
  c.on("error", () => {});
  c.terminate();
  a.close();
  await closed(a);
  await new Promise((r) => setTimeout(r, 20));
  const d = await client(s.url); // the freed slot is usable again
  d.send("still here");
  assert.equal((await nextMessage(d)).data.toString(), "still here");
  b.close();
  d.close();
  await Promise.all([closed(b), closed(d)]);
  s.server.close();
});

test("protocol violations close with 1007 (bad UTF-8) and 1009 (too big)", { timeout: 20_000 }, async () => {
  const s = await start({ maxMessageBytes: 1000, maxBufferedBytes: 4096 });
  const ws = await client(s.url);
  ws.send(Buffer.from([0x61, 0xc3, 0x28]), { binary: false });
  assert.equal((await closed(ws)).code, 1007);
  const ws2 = await client(s.url);
  ws2.send(Buffer.alloc(1001));
  assert.equal((await closed(ws2)).code, 1009);
  s.server.close();
});

test("back-pressure: a client that stops reading fills the bounded queue; every byte arrives in order once it reads", { timeout: 20_000 }, async () => {
  const MESSAGE = 60_000;
  const TOTAL = 120; // 7.2 MB
  let sent = 0;
  let refusals = 0;
  let maxBuffered = 0;
  let writables = 0;
  const s = await start({ maxBufferedBytes: 131_072 }, (c) => {
    const pump = () => {
      while (sent < TOTAL) {
        const msg = pattern(MESSAGE, sent);
        if (!c.sendBinary(msg)) {
          refusals++;
          return;
        }
        maxBuffered = Math.max(maxBuffered, c.bufferedAmount());
        sent++;
      }
    };
    c.onBinary = () => pump();
    c.onWritable = () => {
      writables++;
      pump();
    };
  }, 16_384);
  const ws = await client(s.url);
  const received: Buffer[] = [];
  ws.on("message", (d) => received.push(d as Buffer));
  ws.pause(); // stop reading: the kernel buffers fill, then our queue
  ws.send(Buffer.from([1]));
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(sent < TOTAL, `the server was held back (sent ${sent})`);
  assert.ok(refusals >= 1);
  assert.ok(maxBuffered <= 131_072, `queue bounded: ${maxBuffered}`);
  ws.resume();
  const deadline = Date.now() + 15_000;
  while (received.length < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(received.length, TOTAL);
  for (let i = 0; i < TOTAL; i++) assert.equal(Buffer.compare(received[i], pattern(MESSAGE, i)), 0, `message ${i}`);
  assert.ok(writables >= 1);
  console.log(`# back-pressure: ${TOTAL} × ${MESSAGE} bytes, ${refusals} refusals, ${writables} onWritable, queue peak ${maxBuffered} bytes`);
  ws.close();
  await closed(ws);
  s.server.close();
});
