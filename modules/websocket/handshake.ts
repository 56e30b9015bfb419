// The HTTP/1.1 side of RFC 6455 §4: reading the client's upgrade request in whatever pieces TCP brings
// it (bounded), checking it strictly, and the server's answers (101 with Sec-WebSocket-Accept, or an
// error status after which the connection is closed).

import { sha1 as nobleSha1 } from "@noble/hashes/legacy.js";
import { base64Decode, base64Encode } from "../util/base64.js";
import { utf8Decode, utf8Encode } from "../util/utf8.js";

const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** SHA-1 of one message (the accept key's only hash). */
export type Sha1 = (data: Uint8Array) => Uint8Array;

/**
 * Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2). `sha1`: the platform's (the
 * device's native one; @noble/hashes' keeps module state that the firmware's preload makes read-only).
 */
export function acceptValue(key: string, sha1: Sha1 = nobleSha1): string {
  return base64Encode(sha1(utf8Encode(key + ACCEPT_GUID)));
}

/**
 * Accumulates the request head (request line and header fields up to the empty line) in a buffer of
 * fixed size. Bytes after the head (a client may send its first frame right behind the request) are
 * kept apart for the frame decoder.
 */
export class RequestHeadReader {
  private readonly buf: Uint8Array;
  private len = 0;
  private end = -1; // length of the head including the final CRLFCRLF, once found

  constructor(maxHeadBytes: number) {
    this.buf = new Uint8Array(maxHeadBytes);
  }

  /**
   * Take bytes from `data`. Returns the number of bytes consumed (the rest belongs to the frame stream),
   * or -1 when the head does not fit in the buffer.
   */
  push(data: Uint8Array): number {
    if (this.end >= 0) return 0;
    const room = this.buf.length - this.len;
    const n = data.length;
    const scanFrom = Math.max(0, this.len - 3);
    const take = Math.min(room, n);
    this.buf.set(take === n ? data : data.subarray(0, take), this.len);
    this.len += take;
    const b = this.buf;
    for (let i = scanFrom; i + 3 < this.len; i++) {
      if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) {
        this.end = i + 4;
        return take - (this.len - this.end);
      }
    }
    return take < n || this.len === this.buf.length ? -1 : take;
  }

  get complete(): boolean {
    return this.end >= 0;
  }

  /** The head, CRLFCRLF included (valid once `complete`). */
  head(): Uint8Array {
    return this.buf.subarray(0, this.end);
  }
}

export type UpgradeCheck =
  | { ok: true; key: string }
  | { ok: false; status: number; reason: string };

function bad(status: number, reason: string): UpgradeCheck {
  return { ok: false, status, reason };
}

/**
 * A character outside RFC 7230's tchar. One native search, no quantifier (XS's matcher allocates a state
 * per repetition); an indexed loop over the string would be quadratic on XS, whose strings are UTF-8.
 */
const NOT_TCHAR = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;

function isToken(s: string): boolean {
  return s.length > 0 && !NOT_TCHAR.test(s);
}

/** Whether a comma-separated header value lists `token` (case-insensitive). */
function listsToken(value: string, token: string): boolean {
  for (const part of value.split(",")) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/**
 * Check a complete request head against RFC 6455 §4.2.1 and the expected path. The head is hostile:
 * only visible ASCII, spaces and tabs are allowed inside lines, lines end in CRLF, no obsolete line
 * folding, exactly one request line `GET <path>[?query] HTTP/1.1`, and one each of the handshake fields.
 */
export function checkUpgradeRequest(head: Uint8Array, path: string): UpgradeCheck {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c === 13) {
      if (head[i + 1] !== 10) return bad(400, "bare CR");
      lines.push(utf8Decode(head, start, i) ?? ""); // ASCII: every byte up to here passed the check below
      i++;
      start = i + 1;
    } else if (c === 10) return bad(400, "bare LF");
    else if ((c < 0x20 && c !== 9) || c >= 0x7f) return bad(400, "control or non-ASCII byte in the request head");
  }
  // the head ends with CRLFCRLF: the last line is empty
  if (lines.length < 2 || lines[lines.length - 1] !== "") return bad(400, "incomplete request head");
  lines.pop();

  const parts = lines[0].split(" ");
  if (parts.length !== 3) return bad(400, "malformed request line");
  const [method, target, version] = parts;
  if (!/^HTTP\/1\.[1-9]$/.test(version)) return bad(400, "HTTP/1.1 required");
  if (!isToken(method)) return bad(400, "malformed method");
  if (method !== "GET") return bad(405, "method not allowed");
  if (target.length === 0 || target[0] !== "/") return bad(400, "request target must be a path");
  const q = target.indexOf("?");
  if ((q < 0 ? target : target.slice(0, q)) !== path) return bad(404, "unknown path");

  let host = 0, upgrade: string | undefined, connection: string | undefined, key: string | undefined, wsVersion: string | undefined;
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l];
    if (line[0] === " " || line[0] === "\t") return bad(400, "obsolete line folding");
    const colon = line.indexOf(":");
    if (colon <= 0) return bad(400, "malformed header field");
    const name = line.slice(0, colon);
    if (!isToken(name)) return bad(400, "malformed header field name");
    const value = line.slice(colon + 1).trim();
    switch (name.toLowerCase()) {
      case "host":
        host++;
        break;
      case "upgrade":
        upgrade = upgrade === undefined ? value : upgrade + "," + value;
        break;
      case "connection":
        connection = connection === undefined ? value : connection + "," + value;
        break;
      case "sec-websocket-key":
        if (key !== undefined) return bad(400, "repeated Sec-WebSocket-Key");
        key = value;
        break;
      case "sec-websocket-version":
        if (wsVersion !== undefined) return bad(400, "repeated Sec-WebSocket-Version");
        wsVersion = value;
        break;
    }
  }
  if (host !== 1) return bad(400, "exactly one Host field required");
  if (upgrade === undefined || !listsToken(upgrade, "websocket")) return bad(400, "not a WebSocket upgrade");
  if (connection === undefined || !listsToken(connection, "upgrade")) return bad(400, "Connection: Upgrade required");
  if (wsVersion !== "13") return bad(426, "Sec-WebSocket-Version 13 required");
  if (key === undefined || base64Decode(key, 16) === undefined) return bad(400, "Sec-WebSocket-Key must be 16 bytes in base64");
  return { ok: true, key };
}

/** The 101 response completing the upgrade. No subprotocol and no extension is agreed. */
export function switchingProtocolsResponse(key: string, sha1?: Sha1): Uint8Array {
  return utf8Encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptValue(key, sha1) + "\r\n\r\n",
  );
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/** An error response; the server closes the connection after it. */
export function errorResponse(status: number): Uint8Array {
  let extra = "";
  if (status === 426) extra = "Sec-WebSocket-Version: 13\r\n";
  else if (status === 405) extra = "Allow: GET\r\n";
  return utf8Encode(`HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
