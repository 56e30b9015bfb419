// The announcer port over Moddable's legacy `mdns` module (modules/network/mdns): claim a host name,
// then advertise `_sendspin._tcp` on it with TXT `path` and `name`.
//
// Facts of that module this driver works with (SDK 8.2.3, modules/network/mdns/mdns.js and
// modules/network/dns/dnsserializer.js):
// - A service may only be added once the host name is claimed (probing done: callback message 1 with a
//   non-empty name); before that `add` throws "not ready". On a conflict (message 2) returning undefined
//   lets the module try "name-2", "name-3"...
// - The DNS-SD instance name is always the claimed host name: the friendly name travels in TXT `name`.
// - TXT encoding: the serializer walks a plain object or Map with `for (const [k, v] in data)`, which
//   destructures the characters of each key (a Map yields nothing), so either produces garbage or an
//   empty TXT record. Its Array branch walks `for (const k in data)` and writes `k=data[k]`, which is
//   right for an Array carrying named properties. So the TXT is an empty Array with `path` and `name` set
//   as properties (no indexed elements, which would be written as "0=..."). Checked by running the SDK's
//   serializer on XS 17.9.1 (docs/network.md).
// - mDNS does not work on Moddable's Linux simulator (the lin socket rejects the multicast address), so
//   the manifest maps this driver on esp32 only; a construction failure is logged, never thrown.

import MDNS from "mdns";
import type { AnnouncerPort, LogPort } from "../modules/platform.js";
import { SERVICE_NAME, SERVICE_PROTOCOL, hostLabel, txtAsNamedArray } from "../modules/discovery.js";

/** Members of the implementation that the SDK typing omits. */
type MdnsImplementation = MDNS & { close(): void };
const MSG_HOST_NAME = 1; // MDNS.hostName
const MSG_RETRY = 2; // MDNS.retry

export class DeviceAnnouncer implements AnnouncerPort {
  private readonly log: LogPort;
  private readonly hostName: string | undefined;

  /** `hostName`: the label to claim (default: derived from the friendly name, e.g. "kitchen-speaker"). */
  constructor(log: LogPort, hostName?: string) {
    this.log = log;
    this.hostName = hostName;
  }

  advertise(service: { name: string; port: number; path: string }): { close(): void } {
    // An Array with named properties: the one TXT shape the SDK's serializer encodes correctly (see above).
    const record = { name: SERVICE_NAME, protocol: SERVICE_PROTOCOL, port: service.port, txt: txtAsNamedArray(service) };
    const log = this.log;
    let added = false;
    let closed = false;
    let mdns: MdnsImplementation | undefined;
    try {
      mdns = new MDNS({ hostName: this.hostName ?? hostLabel(service.name) }, (message: number, value?: string) => {
        try {
          if (message === MSG_HOST_NAME && value && !added && !closed) {
            mdns!.add(record);
            added = true;
            log.log("info", `mDNS: ${value}._sendspin._tcp.local port ${service.port} path ${service.path}`);
          } else if (message === MSG_RETRY) {
            log.log("info", `mDNS: host name in use, trying another`);
          } else if (message < 0) {
            log.log("warn", `mDNS error ${message}`);
          }
        } catch (e) {
          log.log("warn", `mDNS: ${String(e)}`);
        }
      }) as MdnsImplementation;
    } catch (e) {
      log.log("warn", `mDNS unavailable: ${String(e)}`);
    }
    return {
      close: () => {
        if (closed) return;
        closed = true;
        try {
          mdns?.close(); // removes the service with goodbye packets (TTL 0)
        } catch (e) {
          log.log("warn", `mDNS close: ${String(e)}`);
        }
      },
    };
  }
}
