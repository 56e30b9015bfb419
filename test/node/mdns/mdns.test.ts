// The DNS codec and the simulator's mDNS responder, by encoding queries and decoding responses (pure
// functions), plus one socket test on 127.0.0.1 unicast. Nothing here multicasts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import {
  FLAG_AUTHORITATIVE,
  FLAG_RESPONSE,
  type Message,
  type ResourceRecord,
  TYPE_A,
  TYPE_AAAA,
  TYPE_ANY,
  TYPE_PTR,
  TYPE_SRV,
  TYPE_TXT,
  decodeMessage,
  encodeMessage,
  nameToString,
} from "../../../sim/dns.js";
import { MdnsResponder, SendspinRecords } from "../../../sim/mdns.js";
import { SeededRandom } from "../../support/random.js";

const info = { name: "Kitchen Speaker v1.2", host: "devbox-sendspin-8928", port: 8928, path: "/sendspin", addresses: ["192.168.1.20", "10.0.0.7"] };
const txtText = (r: ResourceRecord) => ("strings" in r.data ? r.data.strings.map((s) => Buffer.from(s).toString("utf8")) : []);

function query(questions: { name: string[]; type: number; qu?: boolean }[], answers: ResourceRecord[] = [], id = 0): Message {
  return { id, flags: 0, questions: questions.map((q) => ({ name: q.name, type: q.type, unicastResponse: !!q.qu })), answers, authorities: [], additionals: [] };
}

test("DNS codec: every record type round-trips; names are compressed; labels may hold dots and UTF-8", () => {
  const r = new SendspinRecords({ ...info, name: "Küche. Süd ♪" });
  const m: Message = { ...r.announcement(), id: 0x1234, additionals: [{ name: ["x", "local"], cacheFlush: false, ttl: 1, data: { type: TYPE_AAAA, raw: new Uint8Array(16).fill(1) } }] };
  const bytes = encodeMessage(m);
  const back = decodeMessage(bytes);
  assert.deepEqual(back, m);
  assert.equal(nameToString(r.instance), "Küche\\. Süd ♪._sendspin._tcp.local.");
  // compression: "_sendspin._tcp.local" and the host name are written once, then pointed at
  const plain = Buffer.from(bytes).toString("latin1");
  assert.equal(plain.split("_sendspin").length - 1, 1);
  assert.equal(plain.split(info.host).length - 1, 1);
});

test("DNS codec: a hand-encoded PTR query decodes (known bytes)", () => {
  // id 0, flags 0, 1 question: _sendspin._tcp.local PTR IN with the QU bit
  const hex = "000000000001000000000000" + "095f73656e647370696e" + "045f746370" + "056c6f63616c00" + "000c" + "8001";
  const m = decodeMessage(Buffer.from(hex, "hex"));
  assert.ok(m);
  assert.deepEqual(m.questions, [{ name: ["_sendspin", "_tcp", "local"], type: TYPE_PTR, unicastResponse: true }]);
  assert.deepEqual(Buffer.from(encodeMessage(m)).toString("hex"), hex);
});

test("DNS codec: hostile packets are refused without an exception", () => {
  const good = encodeMessage(new SendspinRecords(info).announcement());
  for (let n = 0; n < good.length; n++) assert.equal(decodeMessage(good.subarray(0, n)), undefined, `truncated to ${n}`);
  // a name pointer to itself, and one pointing forward
  const loop = Buffer.from("000000000001000000000000c00c000c0001", "hex");
  assert.equal(decodeMessage(loop), undefined);
  const forward = Buffer.from("000000000001000000000000c0100000c00c0001", "hex");
  assert.equal(decodeMessage(forward), undefined);
  // counts the packet cannot hold
  assert.equal(decodeMessage(Buffer.from("0000000000ff000000000000", "hex")), undefined);
  // a label pointing back into itself to grow without end
  const grow = Buffer.from("00000000000100000000000001 61 c00c 000c0001".replace(/ /g, ""), "hex");
  assert.equal(decodeMessage(grow), undefined);
  const rnd = new SeededRandom(5353);
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = new Uint8Array(good);
    const flips = 1 + rnd.below(6);
    for (let k = 0; k < flips; k++) b[rnd.below(b.length)] = rnd.below(256);
    const cut = i % 2 === 0 ? b.length : 12 + rnd.below(b.length - 11);
    if (decodeMessage(b.subarray(0, cut))) decoded++;
  }
  console.log(`# DNS fuzz: 20000 mutated packets decoded or refused without an exception (${decoded} still well-formed)`);
});

test("responder: a PTR browse gets the PTR, with SRV, TXT and A as additional records", () => {
  const r = new SendspinRecords(info);
  const res = r.answer(query([{ name: ["_sendspin", "_tcp", "local"], type: TYPE_PTR }]), false);
  assert.ok(res);
  assert.equal(res.flags, FLAG_RESPONSE | FLAG_AUTHORITATIVE);
  assert.equal(res.id, 0);
  assert.deepEqual(res.questions, []);
  assert.deepEqual(res.answers.map((a) => [nameToString(a.name), a.data.type, a.ttl]), [["_sendspin._tcp.local.", TYPE_PTR, 4500]]);
  assert.ok("target" in res.answers[0].data && nameToString(res.answers[0].data.target) === "Kitchen Speaker v1\\.2._sendspin._tcp.local.");
  const [srv, txt, a1, a2] = res.additionals;
  assert.ok(srv.data.type === TYPE_SRV && "port" in srv.data);
  assert.equal(srv.data.port, 8928);
  assert.equal(nameToString(srv.data.target), "devbox-sendspin-8928.local.");
  assert.ok(srv.cacheFlush);
  assert.deepEqual(txtText(txt), ["path=/sendspin", "name=Kitchen Speaker v1.2"]);
  assert.deepEqual([a1, a2].map((a) => ("address" in a.data ? a.data.address : "")), ["192.168.1.20", "10.0.0.7"]);
  // through the wire format and back
  assert.deepEqual(decodeMessage(encodeMessage(res)), res);
});

test("responder: SRV, TXT, A and ANY questions; service enumeration; nothing for other names", () => {
  const r = new SendspinRecords(info);
  const srv = r.answer(query([{ name: r.instance, type: TYPE_SRV }]), false)!;
  assert.deepEqual(srv.answers.map((a) => a.data.type), [TYPE_SRV]);
  assert.deepEqual(srv.additionals.map((a) => a.data.type), [TYPE_A, TYPE_A]);
  const txt = r.answer(query([{ name: r.instance.map((l) => l.toUpperCase()), type: TYPE_TXT }]), false)!;
  assert.deepEqual(txt.answers.map((a) => a.data.type), [TYPE_TXT]);
  const any = r.answer(query([{ name: r.instance, type: TYPE_ANY }]), false)!;
  assert.deepEqual(any.answers.map((a) => a.data.type), [TYPE_SRV, TYPE_TXT]);
  const host = r.answer(query([{ name: ["DEVBOX-sendspin-8928", "local"], type: TYPE_A }]), false)!;
  assert.deepEqual(host.answers.length, 2);
  const en = r.answer(query([{ name: ["_services", "_dns-sd", "_udp", "local"], type: TYPE_PTR }]), false)!;
  assert.ok("target" in en.answers[0].data && nameToString(en.answers[0].data.target) === "_sendspin._tcp.local.");
  assert.equal(r.answer(query([{ name: ["_airplay", "_tcp", "local"], type: TYPE_PTR }]), false), undefined);
  assert.equal(r.answer(query([{ name: r.host, type: TYPE_AAAA }]), false), undefined);
  const response = { ...query([{ name: r.service, type: TYPE_PTR }]), flags: FLAG_RESPONSE };
  assert.equal(r.answer(response, false), undefined, "responses are not answered");
});

test("responder: legacy unicast queries get their id and questions back, short TTLs, no cache-flush", () => {
  const r = new SendspinRecords(info);
  const q = query([{ name: r.service, type: TYPE_PTR }], [], 0xbeef);
  const res = r.answer(q, true)!;
  assert.equal(res.id, 0xbeef);
  assert.deepEqual(res.questions, q.questions);
  for (const rec of [...res.answers, ...res.additionals]) {
    assert.ok(rec.ttl <= 10);
    assert.equal(rec.cacheFlush, false);
  }
});

test("responder: known-answer suppression and goodbyes", () => {
  const r = new SendspinRecords(info);
  const known = r.ptr();
  assert.equal(r.answer(query([{ name: r.service, type: TYPE_PTR }], [known]), false)?.answers.length ?? 0, 0);
  const stale = { ...known, ttl: 100 };
  assert.equal(r.answer(query([{ name: r.service, type: TYPE_PTR }], [stale]), false)!.answers.length, 1);
  const bye = r.announcement(true);
  assert.ok(bye.answers.length >= 3 && bye.answers.every((a) => a.ttl === 0));
});

test("responder socket on 127.0.0.1 (unicast only): announces, answers a query, says goodbye", { timeout: 10_000 }, async () => {
  const peer = createSocket("udp4");
  peer.bind(0, "127.0.0.1");
  await once(peer, "listening");
  const inbox: Message[] = [];
  const waiters: (() => void)[] = [];
  peer.on("message", (msg) => {
    const m = decodeMessage(new Uint8Array(msg));
    if (m) inbox.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (pred: (m: Message) => boolean) => {
    for (;;) {
      const m = inbox.find(pred);
      if (m) {
        inbox.splice(inbox.indexOf(m), 1);
        return m;
      }
      await new Promise<void>((res) => waiters.push(res));
    }
  };
  const records = new SendspinRecords({ ...info, addresses: ["127.0.0.1"] });
  const responder = new MdnsResponder(records, { multicast: false, bindAddress: "127.0.0.1", port: 0, announceTo: { address: "127.0.0.1", port: peer.address().port } });
  const port = await responder.start();
  assert.ok(port > 0);
  const hello = await next((m) => m.id === 0 && m.answers.some((a) => a.ttl > 0));
  assert.deepEqual(hello.answers.map((a) => a.data.type), [TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_A]);
  peer.send(encodeMessage(query([{ name: records.service, type: TYPE_PTR }], [], 77)), port, "127.0.0.1");
  const ans = await next((m) => m.id === 77);
  assert.ok(ans.answers[0].data.type === TYPE_PTR);
  assert.deepEqual(txtText(ans.additionals.find((a) => a.data.type === TYPE_TXT)!), ["path=/sendspin", "name=Kitchen Speaker v1.2"]);
  // garbage is ignored, the responder keeps answering
  peer.send(Buffer.from("not a dns packet"), port, "127.0.0.1");
  peer.send(encodeMessage(query([{ name: records.instance, type: TYPE_SRV }], [], 78)), port, "127.0.0.1");
  assert.equal((await next((m) => m.id === 78)).answers[0].data.type, TYPE_SRV);
  await responder.close();
  const bye = await next((m) => m.answers.length > 0 && m.answers.every((a) => a.ttl === 0));
  assert.equal(bye.answers[0].data.type, TYPE_PTR);
  peer.close();
});
