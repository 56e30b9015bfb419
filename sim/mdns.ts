// A small mDNS / DNS-SD responder for the simulator (RFC 6762/6763): it advertises one `_sendspin._tcp`
// instance (PTR, SRV, TXT `path` and `name`, A), answers queries for it, announces at start and says
// goodbye (TTL 0) on close. The answering logic is pure (`SendspinRecords`), over the DNS codec in
// sim/dns.ts; `MdnsResponder` only moves packets. Kept small on purpose: no probing or conflict
// resolution (the host label carries the host name and port, and the instance the friendly name, so
// collisions need two simulators with the same name on one LAN), no response delay or aggregation.

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { hostname, networkInterfaces } from "node:os";
import type { AnnouncerPort, LogPort } from "../modules/platform.js";
import { SERVICE_LABELS, hostLabel, instanceLabel, txtEntries, txtString } from "../modules/discovery.js";
import {
  FLAG_AUTHORITATIVE,
  FLAG_RESPONSE,
  type Message,
  type Name,
  type ResourceRecord,
  TYPE_A,
  TYPE_ANY,
  TYPE_PTR,
  TYPE_SRV,
  TYPE_TXT,
  decodeMessage,
  encodeMessage,
  sameName,
} from "./dns.js";

export const MDNS_ADDRESS = "224.0.0.251";
export const MDNS_PORT = 5353;

/** RFC 6762 §10: 120 s for records naming the host (SRV, A), 75 min for the others. */
const HOST_TTL = 120;
const OTHER_TTL = 4500;
/** RFC 6762 §6.7: answers to legacy unicast queries carry TTLs of at most 10 s. */
const LEGACY_TTL = 10;

export interface ServiceInfo {
  /** Friendly name: the DNS-SD instance label and TXT `name`. */
  name: string;
  /** Host label (without `.local`). */
  host: string;
  port: number;
  path: string;
  /** IPv4 addresses of the host, for the A records. */
  addresses: string[];
}

/** The records of one advertised instance and the pure logic that answers queries about them. */
export class SendspinRecords {
  readonly service: Name;
  readonly instance: Name;
  readonly host: Name;
  readonly enumeration: Name = ["_services", "_dns-sd", "_udp", "local"];
  private readonly info: ServiceInfo;

  constructor(info: ServiceInfo) {
    this.info = info;
    this.service = [...SERVICE_LABELS, "local"];
    this.instance = [instanceLabel(info.name), ...this.service];
    this.host = [info.host, "local"];
  }

  ptr(ttl = OTHER_TTL): ResourceRecord {
    return { name: this.service, cacheFlush: false, ttl, data: { type: TYPE_PTR, target: this.instance } };
  }

  srv(ttl = HOST_TTL): ResourceRecord {
    return { name: this.instance, cacheFlush: true, ttl, data: { type: TYPE_SRV, priority: 0, weight: 0, port: this.info.port, target: this.host } };
  }

  txt(ttl = OTHER_TTL): ResourceRecord {
    const strings = txtEntries(this.info).map(([k, v]) => txtString(k, v));
    return { name: this.instance, cacheFlush: true, ttl, data: { type: TYPE_TXT, strings } };
  }

  a(ttl = HOST_TTL): ResourceRecord[] {
    return this.info.addresses.map((address) => ({ name: this.host, cacheFlush: true, ttl, data: { type: TYPE_A, address } }));
  }

  /** The unsolicited announcement (RFC 6762 §8.3), or with `goodbye` the same records at TTL 0 (§10.1). */
  announcement(goodbye = false): Message {
    const z = goodbye ? 0 : undefined;
    return {
      id: 0,
      flags: FLAG_RESPONSE | FLAG_AUTHORITATIVE,
      questions: [],
      answers: [this.ptr(z), this.srv(z), this.txt(z), ...this.a(z)],
      authorities: [],
      additionals: [],
    };
  }

  /**
   * The response to a query, or undefined when it asks nothing about us (or is not a plain query).
   * `legacyUnicast`: the query came from a port other than 5353 (RFC 6762 §6.7): echo its id and
   * questions, short TTLs, no cache-flush bits.
   */
  answer(query: Message, legacyUnicast: boolean): Message | undefined {
    if ((query.flags & FLAG_RESPONSE) !== 0 || ((query.flags >> 11) & 15) !== 0) return undefined;
    const answers: ResourceRecord[] = [];
    const additionals: ResourceRecord[] = [];
    const wants = (qt: number, t: number) => qt === t || qt === TYPE_ANY;
    for (const q of query.questions) {
      if (sameName(q.name, this.service) && wants(q.type, TYPE_PTR)) {
        if (!this.knownAnswer(query, this.ptr())) answers.push(this.ptr());
        additionals.push(this.srv(), this.txt(), ...this.a());
      } else if (sameName(q.name, this.enumeration) && wants(q.type, TYPE_PTR)) {
        answers.push({ name: this.enumeration, cacheFlush: false, ttl: OTHER_TTL, data: { type: TYPE_PTR, target: this.service } });
      } else if (sameName(q.name, this.instance)) {
        if (wants(q.type, TYPE_SRV)) {
          answers.push(this.srv());
          additionals.push(...this.a());
        }
        if (wants(q.type, TYPE_TXT)) answers.push(this.txt());
      } else if (sameName(q.name, this.host) && wants(q.type, TYPE_A)) {
        answers.push(...this.a());
      }
    }
    if (answers.length === 0) return undefined;
    const key = (r: ResourceRecord) => `${r.name.join(".").toLowerCase()}/${r.data.type}/${"address" in r.data ? r.data.address : ""}`;
    const seen = new Set(answers.map(key));
    const extra = additionals.filter((r) => !seen.has(key(r)) && (seen.add(key(r)), true));
    const legacy = (r: ResourceRecord): ResourceRecord => ({ ...r, cacheFlush: false, ttl: Math.min(r.ttl, LEGACY_TTL) });
    return {
      id: legacyUnicast ? query.id : 0,
      flags: FLAG_RESPONSE | FLAG_AUTHORITATIVE,
      questions: legacyUnicast ? query.questions : [],
      answers: legacyUnicast ? answers.map(legacy) : answers,
      authorities: [],
      additionals: legacyUnicast ? extra.map(legacy) : extra,
    };
  }

  /** Known-answer suppression (RFC 6762 §7.1): the querier already holds our PTR with at least half its TTL. */
  private knownAnswer(query: Message, ours: ResourceRecord): boolean {
    return query.answers.some(
      (k) => sameName(k.name, ours.name) && k.data.type === TYPE_PTR && "target" in k.data && "target" in ours.data && sameName(k.data.target, ours.data.target) && k.ttl >= ours.ttl / 2,
    );
  }
}

export interface MdnsResponderOptions {
  /** Join the mDNS group on the LAN (the simulator). false: unicast only (tests, on 127.0.0.1). */
  multicast: boolean;
  /** Address to bind; default all (multicast) — tests use "127.0.0.1". */
  bindAddress?: string;
  /** UDP port to bind; default 5353 (0 in tests: any free port). */
  port?: number;
  /** Where announcements and goodbyes go; default the mDNS group (unicast tests give a local socket). */
  announceTo?: { address: string; port: number };
  log?: LogPort;
}

/** The responder's socket: receives queries, sends answers, announcements and goodbyes. */
export class MdnsResponder {
  private socket: Socket | undefined;
  private readonly records: SendspinRecords;
  private readonly o: MdnsResponderOptions;
  private repeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(records: SendspinRecords, o: MdnsResponderOptions) {
    this.records = records;
    this.o = o;
  }

  /** Bind, join the group when multicasting, announce; resolves with the bound port (never rejects). */
  start(): Promise<number> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: "udp4", reuseAddr: true });
      this.socket = socket;
      socket.on("error", (e) => {
        this.o.log?.log("warn", `mDNS: ${e.message} (advertising stopped)`);
        this.stop();
        resolve(0);
      });
      socket.on("message", (msg, rinfo) => this.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo));
      socket.bind(this.o.port ?? MDNS_PORT, this.o.bindAddress, () => {
        try {
          if (this.o.multicast) {
            socket.addMembership(MDNS_ADDRESS);
            socket.setMulticastTTL(255);
            socket.setMulticastLoopback(true);
          }
        } catch (e) {
          this.o.log?.log("warn", `mDNS: cannot join ${MDNS_ADDRESS}: ${String(e)}`);
        }
        // announce twice, one second apart (RFC 6762 §8.3)
        this.announce(false);
        this.repeat = setTimeout(() => this.announce(false), 1000);
        this.repeat.unref();
        resolve(socket.address().port);
      });
    });
  }

  /** Say goodbye, then close the socket. */
  close(): Promise<void> {
    if (this.closed || !this.socket) {
      this.closed = true;
      return Promise.resolve();
    }
    this.closed = true;
    clearTimeout(this.repeat);
    const socket = this.socket;
    return new Promise((resolve) => {
      const done = () => {
        this.stop();
        resolve();
      };
      const to = this.announceTarget();
      if (!to) return done();
      try {
        socket.send(encodeMessage(this.records.announcement(true)), to.port, to.address, done);
      } catch {
        done();
      }
    });
  }

  private stop(): void {
    clearTimeout(this.repeat);
    const s = this.socket;
    this.socket = undefined;
    try {
      s?.close();
    } catch {
      // already closed
    }
  }

  private announceTarget(): { address: string; port: number } | undefined {
    return this.o.announceTo ?? (this.o.multicast ? { address: MDNS_ADDRESS, port: MDNS_PORT } : undefined);
  }

  private announce(goodbye: boolean): void {
    const to = this.announceTarget();
    if (!to || !this.socket || this.closed) return;
    this.socket.send(encodeMessage(this.records.announcement(goodbye)), to.port, to.address);
  }

  private receive(packet: Uint8Array, from: RemoteInfo): void {
    if (this.closed || !this.socket) return;
    const query = decodeMessage(packet);
    if (!query) return;
    const legacy = from.port !== MDNS_PORT;
    const response = this.records.answer(query, legacy);
    if (!response) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(response);
    } catch (e) {
      this.o.log?.log("warn", `mDNS: cannot encode the answer: ${String(e)}`);
      return;
    }
    const unicast = legacy || !this.o.multicast || query.questions.some((q) => q.unicastResponse);
    if (unicast) this.socket.send(bytes, from.port, from.address);
    else this.socket.send(bytes, MDNS_PORT, MDNS_ADDRESS);
  }
}

/** Non-internal IPv4 addresses of this host. */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) out.push(a.address);
  return out;
}

/** The simulator's announcer port: one responder per advertised service, on the LAN. */
export class SimAnnouncer implements AnnouncerPort {
  private readonly log: LogPort;

  constructor(log: LogPort) {
    this.log = log;
  }

  advertise(service: { name: string; port: number; path: string }): { close(): void } {
    // the host label names this machine and port, so two simulators on one host do not collide
    const host = hostLabel(`${hostLabel(hostname(), "host").slice(0, 40)}-sendspin-${service.port}`);
    const records = new SendspinRecords({ ...service, host, addresses: hostAddresses() });
    const responder = new MdnsResponder(records, { multicast: true, log: this.log });
    void responder.start().then((port) => {
      if (port) this.log.log("info", `mDNS: advertising "${records.instance[0]}" ${service.path} on ${host}.local:${service.port}`);
    });
    return { close: () => void responder.close() };
  }
}
