import { assert, describe, report, test } from "../../harness.js";
import { RequestHeadReader, acceptValue, checkUpgradeRequest, errorResponse, switchingProtocolsResponse } from "../../../modules/websocket/handshake.js";
import { base64Decode, base64Encode } from "../../../modules/util/base64.js";
import { utf8Decode, utf8Encode, utf8Valid } from "../../../modules/util/utf8.js";
import { SAMPLE_KEY, upgradeRequest } from "../../support/ws-peer.js";

const head = (s: string) => utf8Encode(s);

describe("websocket handshake", () => {
  test("Sec-WebSocket-Accept: the RFC 6455 §1.3 example", () => {
    assert.equal(acceptValue(SAMPLE_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const r = utf8Decode(switchingProtocolsResponse(SAMPLE_KEY))!;
    assert.ok(r.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
    assert.ok(r.includes("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert.ok(r.endsWith("\r\n\r\n"));
  });

  test("a well-formed upgrade passes; a query string is ignored; field names are case-insensitive", () => {
    assert.deepEqual(checkUpgradeRequest(upgradeRequest(), "/sendspin"), { ok: true, key: SAMPLE_KEY });
    assert.deepEqual(checkUpgradeRequest(upgradeRequest("/sendspin?x=1"), "/sendspin"), { ok: true, key: SAMPLE_KEY });
    const lower = "GET /sendspin HTTP/1.1\r\nhost: a\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\nsec-websocket-key: " + SAMPLE_KEY + "\r\nsec-websocket-version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
    assert.deepEqual(checkUpgradeRequest(head(lower), "/sendspin"), { ok: true, key: SAMPLE_KEY });
  });

  test("wrong path 404, wrong method 405, wrong version 426, everything else malformed 400", () => {
    const cases: [Uint8Array, number][] = [
      [upgradeRequest("/other"), 404],
      [upgradeRequest("/sendspin/"), 404],
      [upgradeRequest("/Sendspin"), 404],
      [upgradeRequest("/sendspin", { method: "POST" }), 405],
      [upgradeRequest("/sendspin", { version: "8" }), 426],
      [upgradeRequest("/sendspin", { key: "short" }), 400],
      [upgradeRequest("/sendspin", { key: "dGhlIHNhbXBsZSBub25jZQ" }), 400], // unpadded
      [upgradeRequest("/sendspin", { key: "dGhlIHNhbXBsZSBub25jZQ==", extra: "Sec-WebSocket-Key: " + SAMPLE_KEY + "\r\n" }), 400],
      [upgradeRequest("/sendspin", { extra: "Host: twice\r\n" }), 400],
      [head("GET /sendspin HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + SAMPLE_KEY + "\r\nSec-WebSocket-Version: 13\r\n\r\n"), 400],
      [head("GET /sendspin HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nSec-WebSocket-Key: " + SAMPLE_KEY + "\r\nSec-WebSocket-Version: 13\r\n\r\n"), 400],
      [head("GET /sendspin HTTP/1.0\r\nHost: a\r\n\r\n"), 400],
      [head("GET  /sendspin HTTP/1.1\r\nHost: a\r\n\r\n"), 400],
      [head("GET sendspin HTTP/1.1\r\nHost: a\r\n\r\n"), 400],
      [head("GET /sendspin HTTP/1.1\nHost: a\r\n\r\n"), 400], // bare LF
      [head("GET /sendspin HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400],
      [head("GET /sendspin HTTP/1.1\r\nHost a\r\n\r\n"), 400],
      [head("GET /sendspin HTTP/1.1\r\nHo st: a\r\n\r\n"), 400],
      [upgradeRequest("/sendspin", { extra: "X!#$%&'*+-.^_`|~09AZaz: every tchar\r\n" }), 101],
      ...["(", "@", "[", "{", "/", "\"", "\t"].map((c): [Uint8Array, number] => [upgradeRequest("/sendspin", { extra: `X${c}y: not a token\r\n` }), 400]),
      [upgradeRequest("/sendspin", { method: "G@T" }), 400],
      [upgradeRequest("/sendspin", { extra: "X".repeat(3000) + ": a long name\r\n" }), 101],
      [head("GET /sendspin HTTP/1.1\r\nHost: \u00e9\r\n\r\n"), 400], // non-ASCII
      [head("GET /sendspin HTTP/1.1\r\nHost: a\u0000\r\n\r\n"), 400],
    ];
    for (const [req, status] of cases) {
      const r = checkUpgradeRequest(req, "/sendspin");
      assert.equal(r.ok ? 101 : r.status, status, utf8Decode(req)!.split("\r\n").slice(0, 2).join(" | "));
    }
    report(`upgrade requests checked: ${cases.length + 3}`);
  });

  test("error responses close the connection and say why", () => {
    const r = utf8Decode(errorResponse(426))!;
    assert.ok(r.startsWith("HTTP/1.1 426 Upgrade Required\r\n"));
    assert.ok(r.includes("Sec-WebSocket-Version: 13\r\n"));
    assert.ok(r.includes("Connection: close\r\n"));
    assert.ok(utf8Decode(errorResponse(404))!.startsWith("HTTP/1.1 404 Not Found\r\n"));
  });

  test("the request head is found across every split of the TCP reads; trailing frame bytes are left over", () => {
    const req = upgradeRequest();
    const stream = new Uint8Array(req.length + 3);
    stream.set(req);
    stream.set([0x81, 0x80, 1], req.length);
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new RequestHeadReader(4096);
      const a = r.push(stream.subarray(0, cut));
      let consumed = a;
      if (!r.complete) consumed += r.push(stream.subarray(cut));
      assert.ok(r.complete, `cut ${cut}`);
      assert.equal(consumed, req.length, `cut ${cut}`);
      assert.deepEqual(r.head(), req);
    }
    const bytewise = new RequestHeadReader(4096);
    for (let i = 0; i < req.length; i++) bytewise.push(req.subarray(i, i + 1));
    assert.ok(bytewise.complete);
  });

  test("a head larger than the cap is refused", () => {
    const req = upgradeRequest("/sendspin", { extra: "X-Pad: " + "a".repeat(300) + "\r\n" });
    const r = new RequestHeadReader(256);
    let res = 0;
    for (let i = 0; i < req.length && res >= 0; i += 50) res = r.push(req.subarray(i, i + 50));
    assert.equal(res, -1);
    assert.ok(!r.complete);
  });
});

describe("base64 (standard alphabet)", () => {
  test("RFC 4648 §10 vectors round-trip", () => {
    const v: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
    for (const [plain, enc] of v) {
      assert.equal(base64Encode(utf8Encode(plain)), enc);
      assert.deepEqual(base64Decode(enc), utf8Encode(plain));
    }
    assert.equal(base64Encode(new Uint8Array([0xfb, 0xff])), "+/8=");
  });
  test("strict decoding", () => {
    for (const bad of ["Zg", "Zg=", "Zg===", "Z===", "-_8=", "Zm9v=", "Zh==", "Zm9=", "Zm=v", " Zm9v", 7]) assert.equal(base64Decode(bad), undefined, String(bad));
    assert.equal(base64Decode("Zm9v", 4), undefined);
    assert.deepEqual(base64Decode("+/8="), new Uint8Array([0xfb, 0xff]));
  });
});

describe("utf8Valid", () => {
  test("agrees with the strict decoder on well-formed and malformed input", () => {
    const samples: number[][] = [
      [0x41], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x8e, 0xb5], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80], [0xc3], [0xe2, 0x82], [0xff], [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83],
    ];
    for (const s of samples) {
      const b = Uint8Array.from(s);
      assert.equal(utf8Valid(b), utf8Decode(b) !== undefined, s.join(","));
    }
  });
});
