import { assert, describe, report, test } from "../../harness.js";
import {
  FrameDecoder,
  type FrameSink,
  type Unmasker,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  encodeFrameHeader,
} from "../../../modules/websocket/frames.js";
import { concatBytes } from "../../../modules/util/bytes.js";
import { utf8Encode } from "../../../modules/util/utf8.js";
import { SeededRandom } from "../../support/random.js";
import { clientFrame, closePayload, type FrameOptions } from "../../support/ws-peer.js";

type Event = string;

function decoder(o: { max?: number; maxText?: number } = {}): { d: FrameDecoder; events: Event[]; buffers: ArrayBufferLike[] } {
  const events: Event[] = [];
  const buffers: ArrayBufferLike[] = [];
  const sink: FrameSink = {
    onMessage(text, data) {
      buffers.push(data.buffer);
      events.push(`${text ? "text" : "binary"}:${data.length}:${checksum(data)}`);
    },
    onControl(op, p) {
      events.push(`control${op}:${p.length}:${checksum(p)}`);
    },
    onViolation(code, reason) {
      events.push(`violation:${code}:${reason}`);
    },
  };
  const d = new FrameDecoder({ maxMessageBytes: o.max ?? 200_000, maxTextBytes: o.maxText ?? 4096, expectMasked: true }, sink);
  return { d, events, buffers };
}

function checksum(b: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < b.length; i++) h = (Math.imul(h, 31) + b[i]) | 0;
  return h;
}

function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * seed + (i >> 8)) & 255;
  return b;
}

function frame(op: number, payload: Uint8Array, o?: FrameOptions): Uint8Array {
  return clientFrame(op, payload, o);
}

/** A stream exercising every length form, fragments with a control frame in between, and close. */
function mixedStream(): { bytes: Uint8Array; expected: Event[] } {
  const text = utf8Encode("héllo, wörld ♪ 🎵");
  const frag1 = text.subarray(0, 8); // cuts "ö" in half: UTF-8 is validated per message, not per fragment
  const frag2 = text.subarray(8);
  const b16 = pattern(300);
  const b0 = new Uint8Array(0);
  const parts = [
    frame(OP_TEXT, text, { mask: [1, 2, 3, 4] }),
    frame(OP_BINARY, b16, { mask: [0xff, 0x00, 0x80, 0x7f] }),
    frame(OP_BINARY, b0),
    frame(OP_TEXT, frag1, { fin: false }),
    frame(OP_PING, utf8Encode("p")),
    frame(OP_CONTINUATION, frag2),
    frame(OP_BINARY, b16.subarray(0, 5), { fin: false, mask: [9, 8, 7, 6] }),
    frame(OP_CONTINUATION, b16.subarray(5, 5), { fin: false }),
    frame(OP_CONTINUATION, b16.subarray(5, 131), { fin: false, mask: [0xaa, 0xbb, 0xcc, 0xdd] }),
    frame(OP_CONTINUATION, b16.subarray(131)),
    frame(OP_PONG, b0),
    frame(OP_CLOSE, closePayload(1000, "bye")),
  ];
  const expected = [
    `text:${text.length}:${checksum(text)}`,
    `binary:300:${checksum(b16)}`,
    `binary:0:0`,
    `control${OP_PING}:1:${checksum(utf8Encode("p"))}`,
    `text:${text.length}:${checksum(text)}`,
    `binary:300:${checksum(b16)}`,
    `control${OP_PONG}:0:0`,
    `control${OP_CLOSE}:5:${checksum(closePayload(1000, "bye"))}`,
  ];
  return { bytes: concatBytes(...parts), expected };
}

describe("websocket frame decoder", () => {
  test("decodes the same messages for every two-way split and byte by byte", () => {
    const { bytes, expected } = mixedStream();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { d, events } = decoder();
      d.push(bytes.subarray(0, cut));
      d.push(bytes.subarray(cut));
      assert.deepEqual(events, expected, `cut at ${cut}`);
    }
    for (let a = 0; a < bytes.length; a += 3) {
      for (let b = a; b <= bytes.length; b += 17) {
        const { d, events } = decoder();
        d.push(bytes.subarray(0, a));
        d.push(bytes.subarray(a, b));
        d.push(bytes.subarray(b));
        assert.deepEqual(events, expected, `cuts at ${a}, ${b}`);
      }
    }
    const { d, events } = decoder();
    for (let i = 0; i < bytes.length; i++) d.push(bytes.subarray(i, i + 1));
    assert.deepEqual(events, expected);
    report(`frame stream of ${bytes.length} bytes decoded at ${bytes.length + 1} single cuts, pairs of cuts and byte by byte`);
  });

  test("16- and 64-bit lengths, random read sizes and random masks", () => {
    const rnd = new SeededRandom(6455);
    const sizes = [125, 126, 127, 65535, 65536, 65537, 150_000];
    for (const n of sizes) {
      const payload = rnd.bytes(n);
      const f = frame(OP_BINARY, payload, { mask: [rnd.below(256), rnd.below(256), rnd.below(256), rnd.below(256)] });
      assert.equal(f[1] & 0x7f, n < 126 ? n : n < 65536 ? 126 : 127);
      for (let trial = 0; trial < 3; trial++) {
        const { d, events } = decoder();
        let o = 0;
        while (o < f.length) {
          const k = 1 + rnd.below(trial === 0 ? 7 : 3000);
          d.push(f.subarray(o, o + k));
          o += k;
        }
        assert.deepEqual(events, [`binary:${n}:${checksum(payload)}`], `length ${n}`);
      }
    }
  });

  test("a pluggable unmasker (native on the device) gets the right ranges and mask phases across splits", () => {
    const { bytes, expected } = mixedStream();
    let calls = 0;
    const bytewise: Unmasker = (buf, from, to, mask, phase) => {
      calls++;
      for (let i = from; i < to; i++) buf[i] ^= mask[(phase + i - from) & 3];
    };
    for (let cut = 0; cut <= bytes.length; cut += 7) {
      const events: Event[] = [];
      const d = new FrameDecoder({ maxMessageBytes: 200_000, maxTextBytes: 4096, expectMasked: true, unmask: bytewise }, {
        onMessage: (text, data) => events.push(`${text ? "text" : "binary"}:${data.length}:${checksum(data)}`),
        onControl: (op, p) => events.push(`control${op}:${p.length}:${checksum(p)}`),
        onViolation: (code, reason) => events.push(`violation:${code}:${reason}`),
      });
      d.push(bytes.subarray(0, cut));
      for (let i = cut; i < bytes.length; i += 5) d.push(bytes.subarray(i, i + 5));
      assert.deepEqual(events, expected, `cut at ${cut}`);
    }
    assert.ok(calls > 0);
  });

  test("the message buffer is allocated once and reused: no allocation per frame", () => {
    const { d, buffers } = decoder();
    const chunk = pattern(4096);
    for (let i = 0; i < 50; i++) d.push(frame(OP_BINARY, chunk, { mask: [i, i + 1, i + 2, i + 3] }));
    for (let i = 0; i < 20; i++) {
      d.push(frame(OP_BINARY, chunk.subarray(0, 2000), { fin: false }));
      d.push(frame(OP_CONTINUATION, chunk.subarray(2000)));
    }
    assert.equal(buffers.length, 70);
    for (const b of buffers) assert.ok(b === buffers[0], "same buffer");
    assert.equal(d.bufferBytes, 4096);
  });

  test("protocol violations close with the right status and stop the decoder", () => {
    const ok = frame(OP_TEXT, utf8Encode("fine"));
    const cases: [string, Uint8Array, number][] = [
      ["unmasked", frame(OP_TEXT, utf8Encode("x"), { unmasked: true }), 1002],
      ["reserved bit 1", frame(OP_TEXT, utf8Encode("x"), { rsv: 4 }), 1002],
      ["reserved bit 3", frame(OP_BINARY, utf8Encode("x"), { rsv: 1 }), 1002],
      ["opcode 3", frame(3, utf8Encode("x")), 1002],
      ["opcode 0xB", frame(0xb, utf8Encode("x")), 1002],
      ["opcode 0xF", frame(0xf, new Uint8Array(0)), 1002],
      ["fragmented ping", frame(OP_PING, utf8Encode("x"), { fin: false }), 1002],
      ["fragmented close", frame(OP_CLOSE, closePayload(1000), { fin: false }), 1002],
      ["long ping", frame(OP_PING, new Uint8Array(126)), 1002],
      ["continuation first", frame(OP_CONTINUATION, utf8Encode("x")), 1002],
      ["text inside a fragmented message", concatBytes(frame(OP_TEXT, utf8Encode("a"), { fin: false }), frame(OP_TEXT, utf8Encode("b"))), 1002],
      ["binary inside a fragmented message", concatBytes(frame(OP_BINARY, utf8Encode("a"), { fin: false }), frame(OP_BINARY, utf8Encode("b"))), 1002],
      ["non-minimal 16-bit length", frame(OP_BINARY, new Uint8Array(10), { lengthForm: 16 }), 1002],
      ["non-minimal 64-bit length", frame(OP_BINARY, new Uint8Array(300), { lengthForm: 64 }), 1002],
      ["64-bit length with the top bit", frame(OP_BINARY, new Uint8Array(0), { claimedLength: 2 ** 63 }), 1002],
      ["64-bit length 2^32", frame(OP_BINARY, new Uint8Array(0), { claimedLength: 2 ** 32 }), 1009],
      ["64-bit length 2^40", frame(OP_BINARY, new Uint8Array(0), { claimedLength: 2 ** 40 }), 1009],
      ["64-bit length just above the cap", frame(OP_BINARY, new Uint8Array(0), { claimedLength: 200_001 }), 1009],
      ["fragments summing above the cap", concatBytes(frame(OP_BINARY, new Uint8Array(150_000), { fin: false }), frame(OP_CONTINUATION, new Uint8Array(0), { claimedLength: 50_001 })), 1009],
      ["text above the text cap", frame(OP_TEXT, new Uint8Array(0), { claimedLength: 4097 }), 1009],
      ["invalid UTF-8 text", frame(OP_TEXT, Uint8Array.of(0x61, 0xc3, 0x28)), 1007],
      ["surrogate in UTF-8 text", frame(OP_TEXT, Uint8Array.of(0xed, 0xa0, 0x80)), 1007],
      ["truncated UTF-8 at the end of a fragmented text", concatBytes(frame(OP_TEXT, utf8Encode("ok"), { fin: false }), frame(OP_CONTINUATION, Uint8Array.of(0xe2, 0x82))), 1007],
      ["close with one byte", frame(OP_CLOSE, Uint8Array.of(3)), 1002],
      ["close code 1005", frame(OP_CLOSE, closePayload(1005)), 1002],
      ["close code 999", frame(OP_CLOSE, closePayload(999)), 1002],
      ["close code 1016", frame(OP_CLOSE, closePayload(1016)), 1002],
      ["close code 5000", frame(OP_CLOSE, closePayload(5000)), 1002],
      ["close reason not UTF-8", frame(OP_CLOSE, concatBytes(closePayload(1000), Uint8Array.of(0xff))), 1007],
    ];
    for (const [name, bytes, code] of cases) {
      const { d, events } = decoder();
      d.push(ok);
      d.push(concatBytes(bytes, ok));
      assert.equal(events.length, 2, `${name}: ${events.join(" ; ")}`);
      assert.ok(events[1].startsWith(`violation:${code}:`), `${name}: ${events[1]}`);
      assert.ok(d.halted);
    }
    report(`frame violations checked: ${cases.length}`);
  });

  test("a length above the cap is refused from the header alone, before any payload", () => {
    const { d, events } = decoder();
    const f = frame(OP_BINARY, new Uint8Array(0), { claimedLength: 1_000_000 });
    d.push(f.subarray(0, f.length - 1));
    assert.equal(events.length, 0);
    d.push(f.subarray(f.length - 1));
    assert.equal(events[0].split(":")[1], "1009");
    assert.equal(d.bufferBytes, 0);
  });

  test("valid close codes pass", () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999]) {
      const { d, events } = decoder();
      d.push(frame(OP_CLOSE, closePayload(code, "r")));
      assert.equal(events.length, 1);
      assert.ok(events[0].startsWith(`control${OP_CLOSE}:3:`), `${code}`);
    }
  });
});

describe("websocket frame header encoder", () => {
  test("7-, 16- and 64-bit forms, minimal", () => {
    const h = new Uint8Array(10);
    assert.equal(encodeFrameHeader(h, true, OP_TEXT, 0), 2);
    assert.deepEqual(h.subarray(0, 2), Uint8Array.of(0x81, 0));
    assert.equal(encodeFrameHeader(h, true, OP_BINARY, 125), 2);
    assert.deepEqual(h.subarray(0, 2), Uint8Array.of(0x82, 125));
    assert.equal(encodeFrameHeader(h, false, OP_BINARY, 126), 4);
    assert.deepEqual(h.subarray(0, 4), Uint8Array.of(0x02, 126, 0, 126));
    assert.equal(encodeFrameHeader(h, true, OP_BINARY, 65535), 4);
    assert.deepEqual(h.subarray(0, 4), Uint8Array.of(0x82, 126, 0xff, 0xff));
    assert.equal(encodeFrameHeader(h, true, OP_BINARY, 65536), 10);
    assert.deepEqual(h, Uint8Array.of(0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0));
    assert.equal(encodeFrameHeader(h, true, OP_BINARY, 0xfedcba98), 10);
    assert.deepEqual(h, Uint8Array.of(0x82, 127, 0, 0, 0, 0, 0xfe, 0xdc, 0xba, 0x98));
  });
});
