// The listener port over ECMA-419 sockets (modules/board/ecma419-listener.ts), driven over a double of the
// SDK's two TCP implementations (test/support/ecma419-double.ts): reads through the shared buffer, writes
// within the reported room, "would block", and above all the ends of a connection. The regression: on
// Moddable's lin simulator a write to a reset connection fails silently and the host never reports
// anything on that socket again; the adapter must end the connection itself (onClose on the next turn,
// never from inside write()), or the speaker keeps a dead session, its timers and a growing send queue.

import { assert, describe, test } from "../../harness.js";
import { Ecma419ListenerPort } from "../../../modules/board/ecma419-listener.js";
import type { LogPort, StreamHandler, StreamSocket } from "../../../modules/platform.js";
import { ManualClock } from "../../support/clock.js";
import { Ecma419Stack, LIN_BUFFER, type HostKind } from "../../support/ecma419-double.js";

const quiet: LogPort = { log() {} };

interface Conn {
  socket: StreamSocket;
  data: Uint8Array[];
  writables: number;
  closes: number;
  /** What the handler was doing when onClose came (the re-entrancy check). */
  closedInsideWrite: boolean;
}

function setup(kind: HostKind, readBufferBytes = 2920) {
  const clock = new ManualClock(0);
  const stack = new Ecma419Stack(kind);
  const port = new Ecma419ListenerPort({ Listener: stack.Listener, TCP: stack.TCP, clock, readBufferBytes, log: quiet });
  const conns: Conn[] = [];
  let writing = false;
  const handle = port.listen(8928, (socket) => {
    const c: Conn = { socket, data: [], writables: 0, closes: 0, closedInsideWrite: false };
    conns.push(c);
    const h: StreamHandler = {
      onData: (d) => void c.data.push(d.slice()),
      onWritable: () => void c.writables++,
      onClose: () => {
        c.closes++;
        if (writing) c.closedInsideWrite = true;
      },
    };
    return h;
  });
  const write = (c: Conn, bytes: Uint8Array): boolean => {
    writing = true;
    try {
      return c.socket.write(bytes);
    } finally {
      writing = false;
    }
  };
  return { clock, stack, port, handle, conns, write };
}

const bytes = (n: number, v = 7) => new Uint8Array(n).fill(v);
const total = (list: Uint8Array[]) => list.reduce((s, b) => s + b.length, 0);

for (const kind of ["lin", "lwip"] as const) {
  describe(`ECMA-419 listener adapter (${kind})`, () => {
    test("accepts, reads through the shared buffer, writes within the room", () => {
      const { stack, conns, write, handle } = setup(kind, 1000);
      assert.equal(handle.port, 8928);
      const peer = stack.connect();
      stack.poll();
      assert.equal(conns.length, 1);
      const c = conns[0];
      assert.ok(c.socket.writable() > 0, "the first host turn reports the send room");
      assert.equal(c.socket.remoteAddress, "192.0.2.7");
      peer.send(bytes(1400, 1));
      stack.poll();
      assert.equal(total(c.data), 1400);
      assert.ok(c.data.every((d) => d.length <= 1000), "reads are cut to the shared buffer");
      assert.ok(write(c, bytes(100, 2)));
      assert.deepEqual(peer.take(), bytes(100, 2));
      assert.equal(c.closes, 0);
    });

    test("a write beyond the room is refused without calling the host; onWritable follows", () => {
      const { stack, conns, write } = setup(kind);
      const peer = stack.connect(LIN_BUFFER);
      stack.poll();
      const c = conns[0];
      const room = c.socket.writable();
      assert.ok(!write(c, bytes(room + 1)));
      assert.equal(peer.writeCalls, 0);
      assert.ok(write(c, bytes(room)));
      assert.equal(c.socket.writable(), 0);
      if (kind === "lwip") peer.window = LIN_BUFFER; // the remote end acknowledged
      stack.poll();
      assert.ok(c.writables >= 1);
      assert.ok(c.socket.writable() > 0);
    });

    test("the peer's FIN: the bytes before it are read, then onClose once; no callback after", () => {
      const { stack, conns, clock } = setup(kind);
      const peer = stack.connect();
      stack.poll();
      const c = conns[0];
      peer.send(bytes(10));
      peer.finish();
      for (let i = 0; i < 3; i++) stack.poll();
      clock.advanceMs(1);
      assert.equal(total(c.data), 10);
      assert.equal(c.closes, 1);
      assert.ok(peer.closedByHost, "the host's TCP is released");
      assert.ok(!c.socket.write(bytes(1)));
      assert.equal(c.socket.writable(), 0);
    });

    test("the peer's reset seen by a read: onClose once", () => {
      const { stack, conns, clock } = setup(kind);
      const peer = stack.connect();
      stack.poll();
      peer.reset();
      stack.poll();
      stack.poll();
      clock.advanceMs(1);
      assert.equal(conns[0].closes, 1);
      assert.ok(peer.closedByHost);
    });

    test("REGRESSION: a write to a reset connection ends it, even when the host never reports the failure", () => {
      const { stack, conns, clock, write } = setup(kind);
      const peer = stack.connect();
      stack.poll();
      const c = conns[0];
      assert.ok(write(c, bytes(50)));
      peer.reset();
      // the speaker writes (a client/time probe from a timer) before the host's task has read the reset
      assert.ok(!write(c, bytes(50)), "the failed write is reported as not sent");
      assert.equal(peer.failedWrites, 1);
      assert.equal(c.closes, 0, "onClose is never called from inside write()");
      assert.equal(c.socket.writable(), 0);
      assert.ok(!write(c, bytes(50)), "nothing is written after the failure");
      assert.equal(peer.writeCalls, 2, "the host is not called again");
      for (let i = 0; i < 5; i++) stack.poll(); // lin: the host never reports this socket again
      clock.advanceMs(0);
      assert.equal(c.closes, 1, "onClose on the next turn");
      assert.ok(!c.closedInsideWrite);
      assert.ok(peer.closedByHost, "the host's TCP is released");
      for (let i = 0; i < 5; i++) stack.poll();
      clock.advanceMs(100);
      assert.equal(c.closes, 1, "exactly once");
      assert.equal(clock.pendingTimers(), 0);
    });

    test("the user closes before the deferred report: no onClose after close()", () => {
      const { stack, conns, clock, write } = setup(kind);
      const peer = stack.connect();
      stack.poll();
      const c = conns[0];
      peer.reset();
      assert.ok(!write(c, bytes(5)));
      c.socket.close();
      clock.advanceMs(10);
      stack.poll();
      assert.equal(c.closes, 0);
    });

    test("the user's close: the host TCP is released, nothing is read or reported after", () => {
      const { stack, conns, clock } = setup(kind);
      const peer = stack.connect();
      stack.poll();
      const c = conns[0];
      c.socket.close();
      assert.ok(peer.closedByHost);
      peer.send(bytes(10));
      peer.finish();
      stack.poll();
      clock.advanceMs(10);
      assert.equal(c.data.length, 0);
      assert.equal(c.closes, 0);
      assert.ok(!c.socket.write(bytes(1)));
    });

    test("the listener's close stops accepting", () => {
      const { stack, conns, handle } = setup(kind);
      handle.close();
      stack.connect();
      stack.poll();
      assert.equal(conns.length, 0);
    });
  });
}

describe("ECMA-419 listener adapter", () => {
  test("a host that throws 'would block' despite the room it reported: refused, retried after onWritable", () => {
    const { stack, conns, write } = setup("lwip");
    const peer = stack.connect(1000);
    stack.poll();
    const c = conns[0];
    // the remote end's window shrank without a notification (lwIP's tcp_sndbuf moved under us)
    peer.tcp!.shrinkSpace(10);
    assert.ok(!write(c, bytes(100)), "the host's exception does not escape");
    assert.equal(c.socket.writable(), 0);
    assert.equal(c.closes, 0, "would block is not a failure");
    peer.window = 500;
    stack.poll();
    assert.equal(c.socket.writable(), 500);
    assert.ok(write(c, bytes(100)));
  });

  test("lwIP: after the reported error, write() throws 'not ready'; the adapter never calls it", () => {
    const { stack, conns, write, clock } = setup("lwip");
    const peer = stack.connect();
    stack.poll();
    peer.reset();
    stack.poll();
    clock.advanceMs(1);
    assert.equal(conns[0].closes, 1);
    const calls = peer.writeCalls;
    assert.ok(!write(conns[0], bytes(1)));
    assert.equal(peer.writeCalls, calls);
  });
});
