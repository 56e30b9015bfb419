// The firmware on an emulated ESP32-C3 (Espressif's QEMU, machine esp32c3), driven over its emulated Ethernet by
// the reference server, as issue 15 asks (stages 4 and 5). Outside `npm test`: it needs a flash image built with
// manifest-c3-qemu.json and a QEMU with the esp32c3 machine. Two boots of the same image:
//
//   boot 1  the store formats the pairing partition (a blank one: --fresh-store makes it so); the ready line;
//           server A pairs by pairing PSK (the token from the ready line), server B by dynamic PIN (the PIN read
//           from the console's `out-channel: PIN` line: the build needs `other` in outChannels); QEMU quits.
//   boot 2  the same image (QEMU wrote the flash back to it): the store mounts (no format line, the same
//           client_id); A and B each reconnect with their stored record (no pairing); A lists the records;
//           A activates playback, waits for the clock sync (the first client/state), streams N s of PCM in the
//           format the speaker advertises (a signal whose every frame names itself), lets it play out, sends
//           stream/end and reads the speaker's `player: stream end` line.
//
// It prints the boot lines, every pairing and reconnection, the sync time, chunks sent against the speaker's
// figures and every line the speaker logged during the stream, and says ok only when every chunk was accepted
// (none rejected, none dropped late, none left unplayed, no underrun) and the server saw no spec violation.
//
//   node build/test/chip/qemu-session.js --image FLASH.bin [options]
//     --qemu PATH          QEMU binary (default $QEMU, else qemu-system-riscv32 on PATH)
//     --rom-dir DIR        QEMU's ROM folder with esp32c3-rom.bin, passed as -L (default $QEMU_ROM_DIR)
//     --image FILE         the flash image (default $QEMU_FLASH_IMAGE); the run boots a copy in a scratch folder
//     --in-place           boot FILE itself (QEMU writes the pairing partition into it)
//     --fresh-store        erase the `pairing` partition (from the image's partition table) in the image booted
//     --icount SPEC        run QEMU with -icount SPEC (e.g. 3, or shift=3,align=on); default: none, the guest's
//                          clock is the host's (with -icount the guest's time follows instructions executed, which
//                          runs apart from the server's clock whenever the emulation is not exactly at that rate)
//     --port N             host port forwarded to the speaker's 8928, on 127.0.0.1 only (default 18928)
//     --seconds N          stream length (default 20)
//     --boot-timeout S     how long a boot may take to its ready line (default 300)
//     --after-mdns         connect only after the speaker's `mDNS:` announcement line, as a server that discovered
//                          it does (a connection made during the mDNS probing lost its server/activate on QEMU)
//     --echo               print the speaker's console as it comes
//     --keep               keep the scratch folder (serial logs, the image booted)
//   The same session against other builds of the same speaker (no QEMU needed):
//     --mcsim [--no-build] Moddable's Linux simulator with the ESP32 no-PSRAM profile (needs $MODDABLE; builds
//                          test/native/moddable-device with outChannels speaker,other and the port), its
//                          pairing partition a file in the scratch folder kept across the two boots
//     --node-sim           the Node simulator (npm start), its flash image a file in the scratch folder
//
// QEMU runs as `QEMU -nographic -M esp32c3 [-icount SPEC] -drive file=IMG,if=mtd,format=raw -L ROMDIR
// -nic user,model=open_eth,restrict=on,hostfwd=tcp:127.0.0.1:PORT-:8928 -serial mon:stdio`: user networking with
// `restrict=on`, so the guest reaches nothing outside QEMU (its DHCP is QEMU's own; its mDNS goes nowhere) and
// the only traffic is the forwarded port on loopback. The console is read as plain text or as xsbug's XML (a
// debug build), test/support/serial-console.ts. docs/esp32.md: Pairing and streaming over the emulated Ethernet.

import { copyFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../xs/engine.js";
import { AudioSender, ReferenceServer, pairWithDynamicPin, pairWithPairingPsk, pairingPskFromToken, type ServerConnection } from "../reference/index.js";
import { frameIdSignal } from "../support/frame-id-signal.js";
import { LineProcess } from "../support/line-process.js";
import { SerialConsole } from "../support/serial-console.js";
import { eraseStorePartition } from "./flash-image.js";
import { Mcsim, buildDeviceProfile, deviceProfileSo, mcsimScratch, moddableTools } from "../native/mcsim.js";

interface Options {
  target: "qemu" | "mcsim" | "node-sim";
  qemu: string;
  romDir: string | undefined;
  image: string | undefined;
  inPlace: boolean;
  freshStore: boolean;
  icount: string | undefined;
  port: number;
  seconds: number;
  bootTimeoutMs: number;
  /** Connect only once the speaker has announced itself (its `mDNS:` line), as a server that found it by mDNS does. */
  afterMdns: boolean;
  echo: boolean;
  keep: boolean;
  build: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    target: "qemu",
    qemu: process.env.QEMU || "qemu-system-riscv32",
    romDir: process.env.QEMU_ROM_DIR || undefined,
    image: process.env.QEMU_FLASH_IMAGE || undefined,
    inPlace: false,
    freshStore: false,
    icount: undefined,
    port: 18928,
    seconds: 20,
    bootTimeoutMs: 300_000,
    afterMdns: false,
    echo: false,
    keep: false,
    build: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--qemu") o.qemu = value();
    else if (a === "--rom-dir") o.romDir = value();
    else if (a === "--image") o.image = value();
    else if (a === "--in-place") o.inPlace = true;
    else if (a === "--fresh-store") o.freshStore = true;
    else if (a === "--icount") o.icount = value();
    else if (a === "--port") o.port = Number(value());
    else if (a === "--seconds") o.seconds = Number(value());
    else if (a === "--boot-timeout") o.bootTimeoutMs = Number(value()) * 1000;
    else if (a === "--after-mdns") o.afterMdns = true;
    else if (a === "--echo") o.echo = true;
    else if (a === "--keep") o.keep = true;
    else if (a === "--mcsim") o.target = "mcsim";
    else if (a === "--node-sim") o.target = "node-sim";
    else if (a === "--no-build") o.build = false;
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.port) || o.port < 1024 || o.port > 65535) throw new Error("--port: 1024..65535");
  if (!(o.seconds > 0) || !(o.bootTimeoutMs > 0)) throw new Error("bad --seconds or --boot-timeout");
  if (o.target === "qemu" && !o.image) throw new Error("--image FLASH.bin (or $QEMU_FLASH_IMAGE) is needed");
  return o;
}

// ------------------------------------------------------------------ what the speaker prints

/** speaker.ts: `speaker: NAME listening on PORT/PATH as CLIENT_ID (SUITE, BACKEND crypto)`. */
const LISTENING = /listening on (\d+)(\/\S*) as (\S+) \(([^,]+), (\S+) crypto\)/;
/** main.ts (device) or the Node simulator's ready event, rewritten to the same line. */
const READY = /ready: client_id (\S+), pairing token (\S+), static PIN (\S+), protocol (\S+)/;
/** main.ts's out-channel "other" (the Node simulator says "dynamic PIN"). */
const PIN = /out-channel: (?:dynamic )?PIN (\d+)/;
const FORMATTED = /storage: .*formatted/;
/** player.ts, at the end of each stream. */
const STREAM_END = /player: stream end: (\d+) chunks accepted, (\d+) dropped late, (\d+) cleared, (\d+) still queued; (\d+) rejected \(([^)]*)\); (\d+) underruns/;
/** Lines about the chip, its memory and its boot, worth quoting (ESP-IDF's boot log and the firmware's). */
const BOOT_NOTE = /ESP-ROM|chip|heap|free|memory|cpu_start|app_init|boot:|main:|ethernet|eth ip|storage:|speaker:|crypto|suite|error|warn|abort|panic|xsbug break/i;
/** main.ts (device builds): `memory: [heap free F B (low L B), ]XS chunks C of A B (peak P), slots S of T (peak Q)`. */
const MEMORY = /memory: (?:heap free (\d+) B \(low (\d+) B\), )?XS chunks (\d+) of (\d+) B \(peak (\d+)\), slots (\d+) of (\d+) \(peak (\d+)\)/;
/** Periodic noise of Moddable's simulator. */
const NOISE = /^instruments|^\s*$/;

// ------------------------------------------------------------------ targets

interface Target {
  /** What runs the speaker, for the report. */
  readonly what: string;
  /** Starts boot `n` (1 or 2) of the same flash. */
  boot(n: number): LineProcess;
  /** The WebSocket URL the server uses, given what the speaker said it listens on. */
  url(port: string, path: string): string;
  quit(p: LineProcess): Promise<void>;
}

function echoer(o: Options, boot: number): ((line: string) => void) | undefined {
  return o.echo ? (line) => console.log(`#   [boot ${boot}] ${line}`) : undefined;
}

class QemuTarget implements Target {
  readonly what: string;
  readonly image: string;
  private readonly args: string[];

  constructor(private readonly o: Options, private readonly scratch: string) {
    const input = o.image!;
    this.image = o.inPlace ? input : join(scratch, "flash.bin");
    if (!o.inPlace) copyFileSync(input, this.image);
    if (o.freshStore) console.log(`# ${eraseStorePartition(this.image)}`);
    this.args = [
      "-nographic",
      "-M",
      "esp32c3",
      ...(o.icount ? ["-icount", o.icount] : []),
      "-drive",
      `file=${this.image},if=mtd,format=raw`,
      ...(o.romDir ? ["-L", o.romDir] : []),
      "-nic",
      `user,model=open_eth,restrict=on,hostfwd=tcp:127.0.0.1:${o.port}-:8928`,
      "-serial",
      "mon:stdio",
    ];
    this.what = `QEMU (${o.qemu} ${this.args.join(" ")})${o.inPlace ? "" : `, on a copy of ${input}`}`;
  }

  boot(n: number): LineProcess {
    return new LineProcess(this.o.qemu, this.args, { name: `QEMU boot ${n}`, decoder: () => new SerialConsole(), onLine: echoer(this.o, n) });
  }

  url(_port: string, path: string): string {
    return `ws://127.0.0.1:${this.o.port}${path}`;
  }

  async quit(p: LineProcess): Promise<void> {
    // Ctrl-A x: QEMU's monitor multiplexer quits (the flash image is written as the guest writes it).
    await p.stop(() => p.write("\x01x"), 10_000);
  }
}

class McsimTarget implements Target {
  readonly what = "Moddable's Linux simulator (mcsim), the ESP32 no-PSRAM profile, outChannels speaker,other";
  private readonly so: string;
  private readonly run: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly sims = new Map<LineProcess, Mcsim>();

  constructor(private readonly o: Options, scratch: string) {
    const tools = moddableTools();
    if (!tools) throw new Error("--mcsim needs MODDABLE set to a Moddable SDK with its lin tools built");
    const out = join(projectRoot, "build", "native", "qemu-session-mcsim");
    this.so = deviceProfileSo(out);
    if (o.build && !buildDeviceProfile(tools, out, [`port=${o.port}`, "outChannels=speaker,other"])) throw new Error("the Moddable build failed");
    this.run = join(scratch, "mcsim");
    this.env = mcsimScratch(tools, this.run);
  }

  boot(n: number): LineProcess {
    const sim = new Mcsim(this.so, this.run, this.env, 0, echoer(this.o, n));
    this.sims.set(sim.proc, sim);
    return sim.proc;
  }

  url(port: string, path: string): string {
    return `ws://127.0.0.1:${port}${path}`;
  }

  async quit(p: LineProcess): Promise<void> {
    await this.sims.get(p)?.stop();
  }
}

class NodeSimTarget implements Target {
  readonly what = "the Node simulator (node build/sim/main.js --no-mdns --events)";
  private readonly flash: string;

  constructor(private readonly o: Options, scratch: string) {
    this.flash = join(scratch, "sim-flash.bin");
  }

  boot(n: number): LineProcess {
    const args = [join(projectRoot, "build", "sim", "main.js"), "--no-mdns", "--events", "--port", String(this.o.port), "--flash", this.flash];
    return new LineProcess(process.execPath, args, {
      name: `Node simulator boot ${n}`,
      env: { ...process.env, SENDSPIN_SIM_SOUND: "0" },
      onLine: echoer(this.o, n),
      filter: (line, stream) => (stream === "stdout" ? eventLine(line) : line.replace(/^\d\d:\d\d:\d\d\.\d+ /, "")),
    });
  }

  url(port: string, path: string): string {
    return `ws://127.0.0.1:${port}${path}`;
  }

  async quit(p: LineProcess): Promise<void> {
    await p.stop(() => p.write("quit\n"));
  }
}

/** The Node simulator's JSON events as the device's console lines (ready, PIN); others as `event …`. */
function eventLine(line: string): string | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (e.event === "ready") return `ready: client_id ${String(e.client_id)}, pairing token ${String(e.pairing_token)}, static PIN ${String(e.static_pin ?? "off")}, protocol ${String(e.protocol)}`;
  if (e.event === "pin") return `out-channel: PIN ${String(e.pin)}`;
  if (e.event === "audio_out") return undefined; // the output's timeline, per block: not a log line
  return `event ${line}`;
}

// ------------------------------------------------------------------ the session

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Booted {
  port: string;
  path: string;
  clientId: string;
  token: string;
  suite: string;
  backend: string;
  readyIndex: number;
  startedAt: number;
}

async function bootUp(p: LineProcess, n: number, o: Options, startedAt: number): Promise<Booted> {
  const l = await p.waitFor(LISTENING, o.bootTimeoutMs);
  const r = await p.waitFor(READY, o.bootTimeoutMs);
  if (o.afterMdns) await p.waitFor(/mDNS: \S+ port \d+/, o.bootTimeoutMs);
  const b: Booted = { port: l.match[1], path: l.match[2], clientId: r.match[1], token: r.match[2], suite: l.match[4], backend: l.match[5], readyIndex: r.index, startedAt };
  console.log(`# boot ${n}: ready ${((p.at[r.index] - startedAt) / 1000).toFixed(1)} s after start; what it printed until then:`);
  for (const line of p.lines.slice(0, r.index + 1)) if (BOOT_NOTE.test(line) || READY.test(line)) console.log(`#   ${line}`);
  return b;
}

/** Every line since `from`, but the simulator's periodic noise, with its time since `t0`. */
function quote(p: LineProcess, from: number, t0: number, max = 200): void {
  let n = 0;
  for (let i = from; i < p.lines.length; i++) {
    if (NOISE.test(p.lines[i])) continue;
    if (n++ === max) {
      console.log(`#   ... (${p.lines.length - i} more lines in the saved console)`);
      return;
    }
    console.log(`#   +${((p.at[i] - t0) / 1000).toFixed(2)} s  ${p.lines[i]}`);
  }
}

/** The memory lines since `from` in a few figures: the first (after boot), the lowest system heap, the peaks. */
function memorySummary(p: LineProcess, from: number, what: string): void {
  const m = p.lines.slice(from).map((l) => MEMORY.exec(l)).filter((x) => x !== null);
  if (m.length === 0) {
    console.log(`# memory (${what}): no memory line`);
    return;
  }
  const heaps = m.filter((x) => x[1] !== undefined);
  const low = heaps.length ? Math.min(...heaps.map((x) => Number(x[2]))) : undefined;
  const last = m[m.length - 1];
  console.log(
    `# memory (${what}, ${m.length} lines): first "${m[0][0]}"; ` +
      (low === undefined ? "no system heap figure (desktop); " : `system heap free lowest ${Math.min(...heaps.map((x) => Number(x[1])))} B, low-water mark ${low} B; `) +
      `XS chunks peak ${last[5]} of ${last[4]} B, slots peak ${last[8]} of ${last[7]}`,
  );
}

/**
 * Moddable's instrumented builds print `instruments key: A,B,...` once, then `instruments: a,b,...` every second:
 * the lowest system bytes free and the highest XS use over the lines since `from`.
 */
function instrumentsSummary(p: LineProcess, from: number, what: string): void {
  const keyLine = p.lines.find((l) => l.startsWith("instruments key: "));
  const rows = p.lines.slice(from).filter((l) => /^instruments: [\d,]+$/.test(l)).map((l) => l.slice(13).split(",").map(Number));
  if (!keyLine || rows.length === 0) return;
  const keys = keyLine.slice(17).split(",");
  const col = (k: string) => rows.map((r) => r[keys.indexOf(k)]).filter((v) => Number.isFinite(v));
  const min = (k: string) => (col(k).length ? String(Math.min(...col(k))) : "n/a");
  const max = (k: string) => (col(k).length ? String(Math.max(...col(k))) : "n/a");
  console.log(
    `# instruments (${what}, ${rows.length} samples; XS figures are bytes in use, garbage included): system bytes free lowest ${min("System bytes free")}; XS chunk used highest ${max("Chunk used")} of ${max("Chunk available")}, ` +
      `slot used highest ${max("Slot used")} of ${max("Slot available")}, stack used highest ${max("Stack used")} of ${max("Stack available")}; garbage collections ${max("Garbage collections")}`,
  );
}

function trustOf(c: ServerConnection): string {
  return String(c.clientHello?.trust_level ?? "?");
}

/** The first 16-bit PCM format the speaker advertises in player@v1_support. */
function advertisedFormat(c: ServerConnection): { sample_rate: number; channels: number; bit_depth: number } {
  const support = c.clientHello?.["player@v1_support"] as { supported_formats?: { codec?: string; sample_rate?: number; channels?: number; bit_depth?: number }[] } | undefined;
  const f = support?.supported_formats?.find((x) => x.codec === "pcm" && x.bit_depth === 16 && typeof x.sample_rate === "number" && (x.channels === 1 || x.channels === 2));
  if (!f) throw new Error(`no 16-bit PCM format in client/hello: ${JSON.stringify(support)}`);
  return { sample_rate: f.sample_rate!, channels: f.channels!, bit_depth: 16 };
}

async function session(o: Options, target: Target, scratch: string): Promise<boolean> {
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    console.log(`# ${ok ? "ok" : "NOT OK"}: ${what}`);
    if (!ok) failures.push(what);
  };
  const serverA = new ReferenceServer({ name: "qemu-session A (pairing PSK)", timeoutMs: 60_000 });
  const serverB = new ReferenceServer({ name: "qemu-session B (dynamic PIN)", timeoutMs: 60_000 });
  const consoles: LineProcess[] = [];
  let running: LineProcess | undefined;
  const saveConsoles = () => consoles.forEach((p, i) => writeFileSync(join(scratch, `console-boot${i + 1}.log`), p.lines.join("\n") + "\n"));
  try {
    // ---- boot 1: format, pair twice
    let t0 = Date.now();
    running = target.boot(1);
    consoles.push(running);
    const b1 = await bootUp(running, 1, o, t0);
    check(running.matching(FORMATTED).length > 0, `boot 1: the store formatted the pairing partition (${running.matching(/storage:/).join(" | ") || "no storage line: it mounted an existing store"})`);
    const url = target.url(b1.port, b1.path);
    console.log(`# speaker ${b1.clientId} at ${url} (${b1.suite}, ${b1.backend} crypto)`);

    let from = running.lines.length;
    let t = Date.now();
    const pa = await serverA.connect(url, { psk: pairingPskFromToken(b1.token), hello: true });
    const ra = await pairWithPairingPsk(pa);
    console.log(`# pairing PSK (server A): ${ra.method}, finalized ${ra.finalized}, trust after re-handshake ${String(ra.clientHello?.trust_level)}, ${Date.now() - t} ms; psk_id ${ra.pskId}`);
    pa.close();
    check(ra.finalized && ra.clientHello?.trust_level === "user" && pa.violations.length === 0, `pairing by pairing PSK (violations: ${JSON.stringify(pa.violations)})`);
    quote(running, from, t0);

    from = running.lines.length;
    t = Date.now();
    // A failure here (e.g. a build without the "other" out-channel) is reported; the session goes on without B.
    let bPaired = false;
    try {
      const pb = await serverB.connect(url, { psk: "sentinel", hello: true });
      let pinLine = "";
      const rb = await pairWithDynamicPin(pb, {
        getPin: async ({ pinLength }) => {
          const m = await running!.waitFor(PIN, 60_000, from).catch(() => {
            throw new Error("no `out-channel: PIN` line within 60 s: build the firmware with `other` in outChannels (e.g. outChannels=speaker,other)");
          });
          pinLine = m.match[0];
          if (m.match[1].length !== pinLength) throw new Error(`PIN ${m.match[1]} is not the ${pinLength} digits asked for`);
          return m.match[1];
        },
      });
      console.log(`# dynamic PIN (server B): PIN from the console "${pinLine}", ${rb.pinLength} digits, finalized ${rb.finalized}, trust ${String(rb.clientHello?.trust_level)}, ${Date.now() - t} ms; psk_id ${rb.pskId}`);
      pb.close();
      bPaired = rb.finalized && rb.clientHello?.trust_level === "user";
      check(bPaired && pb.violations.length === 0, `pairing by dynamic PIN (violations: ${JSON.stringify(pb.violations)})`);
    } catch (e) {
      serverB.closeAll();
      check(false, `pairing by dynamic PIN: ${String(e)}`);
    }
    await sleep(500);
    quote(running, from, t0);
    memorySummary(running, 0, "boot 1, boot and pairings");
    instrumentsSummary(running, 0, "boot 1");
    await target.quit(running);
    running = undefined;

    // ---- boot 2: mount, reconnect, stream
    t0 = Date.now();
    running = target.boot(2);
    consoles.push(running);
    const b2 = await bootUp(running, 2, o, t0);
    check(running.matching(FORMATTED).length === 0 && b2.clientId === b1.clientId && b2.token === b1.token, `boot 2: the store mounted (no format line; client_id and pairing token as on boot 1)`);
    const url2 = target.url(b2.port, b2.path);

    from = running.lines.length;
    for (const [name, server] of bPaired ? ([["A", serverA], ["B", serverB]] as const) : ([["A", serverA]] as const)) {
      t = Date.now();
      const c = await server.connect(url2, { psk: "record", hello: true });
      console.log(`# reconnect ${name} with its stored record: handshake and hello in ${Date.now() - t} ms, trust ${trustOf(c)}, psk kind ${c.pskKind}`);
      check(trustOf(c) === "user" && c.violations.length === 0, `server ${name} reconnected with the stored record`);
      if (name === "A") {
        c.activate({ activities: ["management"], active_roles: [] });
        const r = await c.manage("list-records");
        console.log(`# management/list-records: ${r.result} ${JSON.stringify(r.data)} storage ${JSON.stringify(r.storage)}`);
      }
      c.close();
      await sleep(300);
    }

    t = Date.now();
    const c = await serverA.connect(url2, { psk: "record", hello: true, activate: { activities: ["playback"], active_roles: ["player@v1"] } });
    const activatedAt = Date.now();
    await c.until(() => c.readyForStream, { timeoutMs: 120_000, what: "the first client/state (clock synchronized)" });
    const syncMs = Date.now() - activatedAt;
    const format = advertisedFormat(c);
    console.log(`# playback: connected and activated in ${activatedAt - t} ms; clock synchronized (first client/state) ${syncMs} ms after activation, ${c.timeRepliesSent} server/time replies; client/state ${JSON.stringify(c.clientState)}`);
    const frames = Math.round(o.seconds * format.sample_rate);
    // 16-bit samples of the frame-id signal, however many channels (mono: each stereo frame is two frames).
    const pcm = frameIdSignal(Math.ceil((frames * format.channels) / 2)).subarray(0, frames * format.channels * 2);
    const streamFrom = running.lines.length;
    const streamT0 = Date.now();
    const sender = new AudioSender(c, { pcm, format });
    const stats = await sender.done;
    await sleep(stats.sendAheadMs + 1500); // the last chunk plays out
    c.streamEnd();
    const end = await running.waitFor(STREAM_END, 30_000, streamFrom).catch(() => undefined);
    const states = c.received.filter((m) => m.type === "client/state");
    console.log(`# stream: ${stats.chunks} chunks (${o.seconds} s of ${format.sample_rate}/${format.bit_depth}/${format.channels}, ${stats.bytes} PCM bytes) sent, send-ahead ${stats.sendAheadMs} ms${stats.interrupted ? ", INTERRUPTED (connection closed)" : ""}`);
    console.log(`# client/state messages (${states.length}):`);
    for (const s of states) console.log(`#   ${JSON.stringify(s.payload)}`);
    console.log(`# server: ${c.timeRepliesSent} server/time replies, violations ${JSON.stringify(c.violations)}, transport errors ${JSON.stringify(c.errors)}`);
    console.log(`# the speaker's console from activation to the end of the stream:`);
    quote(running, from, t0);
    c.close();
    if (!end) check(false, "the speaker's `player: stream end` line (none within 30 s of stream/end)");
    else {
      const [accepted, late, cleared, queued, rejected, , underruns] = end.match.slice(1).map(Number);
      check(
        accepted === stats.chunks && late === 0 && cleared === 0 && queued === 0 && rejected === 0 && underruns === 0 && !stats.interrupted,
        `every chunk accepted and played: ${stats.chunks} sent; the speaker: "${end.match[0]}" (${((running.at[end.index] - streamT0) / 1000).toFixed(1)} s after the first chunk)`,
      );
    }
    check(c.violations.length === 0 && c.errors.length === 0, "no spec violation or transport error seen by the server");
    memorySummary(running, 0, "boot 2, boot to the end of the stream");
    instrumentsSummary(running, 0, "boot 2");
    instrumentsSummary(running, streamFrom, "during the stream");
    await sleep(300);
    await target.quit(running);
    running = undefined;
  } catch (e) {
    failures.push(String(e));
    console.log(`# NOT OK: ${String(e)}`);
    if (running) {
      console.log("# the speaker's last lines:");
      for (const l of running.lines.filter((x) => !NOISE.test(x)).slice(-40)) console.log(`#   ${l}`);
    }
  } finally {
    serverA.closeAll();
    serverB.closeAll();
    if (running) await target.quit(running);
    saveConsoles();
  }
  console.log(`${failures.length === 0 ? "ok" : "not ok"} qemu-session (${target.what}): ${failures.length === 0 ? "paired twice, reconnected after a reboot, every chunk accepted" : `${failures.length} failed: ${failures.join("; ")}`}`);
  return failures.length === 0;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(join(tmpdir(), "qemu-session-"));
  let target: Target;
  let ok = false;
  try {
    target = o.target === "qemu" ? new QemuTarget(o, scratch) : o.target === "mcsim" ? new McsimTarget(o, scratch) : new NodeSimTarget(o, scratch);
    console.log(`# ${target.what}; host port ${o.port} on 127.0.0.1; ${o.seconds} s stream`);
    ok = await session(o, target, scratch);
  } catch (e) {
    console.log(`not ok qemu-session: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (o.keep || !ok) console.log(`# consoles and image kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
