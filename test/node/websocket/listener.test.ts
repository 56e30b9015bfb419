// The simulator's listener port (sim/listener.ts) against its contract in modules/platform.ts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { once } from "node:events";
import { NodeListener } from "../../../sim/listener.js";
import type { StreamHandler, StreamSocket } from "../../../modules/platform.js";

interface Accepted {
  socket: StreamSocket;
  events: string[];
  data: Buffer[];
}

async function setup(sendBufferBytes = 4096): Promise<{ listener: NodeListener; port: number; accepted: Promise<Accepted>; close: () => void }> {
  const listener = new NodeListener({ host: "127.0.0.1", sendBufferBytes });
  let resolve!: (a: Accepted) => void;
  const accepted = new Promise<Accepted>((r) => (resolve = r));
  const handle = listener.listen(0, (socket): StreamHandler => {
    const a: Accepted = { socket, events: [], data: [] };
    resolve(a);
    return {
      onData: (d) => a.data.push(Buffer.from(d)),
      onWritable: () => a.events.push("writable"),
      onClose: () => a.events.push("close"),
    };
  });
  const port = await handle.ready;
  return { listener, port, accepted, close: () => handle.close() };
}

async function client(port: number): Promise<Socket> {
  const s = connect(port, "127.0.0.1");
  await once(s, "connect");
  return s;
}

test("a port in use is reported through bound()", { timeout: 10_000 }, async () => {
  const a = await setup();
  const b = new NodeListener({ host: "127.0.0.1" });
  b.listen(a.port, () => ({ onData() {}, onWritable() {}, onClose() {} }));
  await assert.rejects(b.bound(), /EADDRINUSE/);
  a.close();
});

test("write copies the caller's bytes, refuses what does not fit, and the peer's bytes arrive", { timeout: 10_000 }, async () => {
  const s = await setup(4096);
  const c = await client(s.port);
  const a = await s.accepted;
  assert.equal(a.socket.remoteAddress, "127.0.0.1");
  assert.ok(a.socket.writable() > 0 && a.socket.writable() <= 4096);
  assert.equal(a.socket.write(new Uint8Array(4097)), false, "more than the send budget is refused whole");
  const buf = Uint8Array.from([1, 2, 3]);
  assert.ok(a.socket.write(buf));
  buf.fill(9); // reused at once: what was written must not change
  const [got] = (await once(c, "data")) as [Buffer];
  assert.deepEqual([...got], [1, 2, 3]);
  c.write("hello");
  while (a.data.length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(Buffer.concat(a.data).toString(), "hello");
  c.destroy();
  s.close();
});

test("the peer closing reports onClose once; our own close reports nothing and ends the stream", { timeout: 10_000 }, async () => {
  const s = await setup();
  const c = await client(s.port);
  const a = await s.accepted;
  c.end();
  while (!a.events.includes("close")) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(a.events.filter((e) => e === "close"), ["close"]);
  assert.equal(a.socket.write(Uint8Array.of(1)), false, "nothing is written after the end");
  s.close();

  const s2 = await setup();
  const c2 = await client(s2.port);
  const a2 = await s2.accepted;
  a2.socket.write(Uint8Array.of(7));
  a2.socket.close();
  const chunks: Buffer[] = [];
  c2.on("data", (d) => chunks.push(d));
  await once(c2, "end");
  assert.deepEqual([...Buffer.concat(chunks)], [7], "bytes accepted before close() are still delivered");
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(a2.events, []);
  c2.destroy();
  s2.close();
});
