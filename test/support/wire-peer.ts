// The session tests' peer (TestPeer) over real bytes: a FakeSocket whose frames travel as WebSocket frames
// through a listener port built on the ECMA-419 double (test/support/ecma419-double.ts), so a test drives
// the whole speaker (startSpeaker: listener adapter, WebSocket server, sessions, player) from the wire.
// Pure ECMAScript: Node and XS. The host's task runs only when the test calls `stack.poll()` (or `settle`).

import { OP_BINARY, OP_CLOSE, OP_TEXT } from "../../modules/websocket/frames.js";
import type { Ecma419Peer, Ecma419Stack } from "./ecma419-double.js";
import { FakeSocket } from "./session-peer.js";
import { clientFrame, ServerStreamReader, upgradeRequest } from "./ws-peer.js";

export class WireSocket extends FakeSocket {
  readonly reader = new ServerStreamReader();
  /** Bytes the remote end received from the speaker, in all. */
  receivedBytes = 0;

  /** Open a TCP connection to the speaker and upgrade it (client/init then waits in `outbox`). */
  constructor(
    readonly stack: Ecma419Stack,
    readonly peer: Ecma419Peer = stack.connect(),
    path = "/sendspin",
  ) {
    super();
    peer.onBytes = (b) => {
      this.receivedBytes += b.length;
      this.reader.push(b);
      for (const e of this.reader.events.splice(0)) {
        if (e.kind === "text" || e.kind === "binary") this.outbox.push({ kind: e.kind, data: e.data });
        else if (e.kind === "control" && e.opcode === OP_CLOSE) this.closed = true;
      }
    };
    stack.poll(); // accepted
    peer.send(upgradeRequest(path));
    stack.poll();
    if (this.reader.status !== 101) throw new Error(`wire peer: upgrade answered ${this.reader.status}`);
  }

  override deliverText(b: Uint8Array): void {
    if (this.closed) return;
    this.peer.send(clientFrame(OP_TEXT, b));
    this.stack.poll();
  }

  override deliverBinary(b: Uint8Array): void {
    if (this.closed) return;
    this.peer.send(clientFrame(OP_BINARY, b));
    this.stack.poll();
  }

  /** The remote end goes away without a close handshake (FIN). */
  override peerClose(): void {
    this.closed = true;
    this.peer.finish();
    this.stack.poll();
  }
}
