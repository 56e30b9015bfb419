// The ports: everything the core is given by its host. One object (Platform) carries them; each driver
// set (device in drivers/, simulator in sim/, tests) provides all of them. The core never reaches a
// host API any other way.

import type { Unmasker } from "./websocket/frames.js";
import type { CryptoProvider } from "../crypto/provider.js";
import type { FlashPort } from "../storage/flash.js";

/** Opaque timer handle. */
export interface TimerHandle {
  readonly _timer: unknown;
}

export interface ClockPort {
  /** Monotonic microseconds from an arbitrary origin. An integer-valued number (exact: below 2^53). */
  nowUs(): number;
  /** One-shot timer after `ms` milliseconds. */
  setTimeout(cb: () => void, ms: number): TimerHandle;
  /** Repeating timer every `ms` milliseconds. */
  setInterval(cb: () => void, ms: number): TimerHandle;
  /** Cancel a timer; undefined is ignored. */
  clear(t: TimerHandle | undefined): void;
}

export interface RandomPort {
  /** Fill `out` from a CSPRNG (ESP32 hardware RNG on device; the OS CSPRNG on the desktop). */
  fill(out: Uint8Array): void;
}

/** One accepted TCP connection, as a byte stream. */
export interface StreamSocket {
  /**
   * Send all of `data` or nothing. The bytes are copied (or sent) before `write` returns: the caller may
   * reuse its buffer at once. Returns false, sending nothing, when they do not fit now or the socket is
   * closed; the caller keeps them and retries after `onWritable`.
   */
  write(data: Uint8Array): boolean;
  /**
   * Bytes that `write` accepts right now: a lower bound (0 when unknown, e.g. on a device socket before
   * its first writable notification).
   */
  writable(): number;
  /**
   * Close the connection; bytes already accepted are still sent when possible. No handler callback
   * follows, not even onClose.
   */
  close(): void;
  readonly remoteAddress?: string;
}

/** Callbacks a listener's user installs on each accepted connection. */
export interface StreamHandler {
  /** Bytes arrived. `data` is only valid during the call: the driver may reuse its buffer. */
  onData(data: Uint8Array): void;
  /**
   * Writable space may have grown. Guaranteed after `write` refused bytes or `writable()` returned 0,
   * once space frees up; drivers may also call it at other times (a hint: re-read `writable()`).
   */
  onWritable(): void;
  /** The peer closed or the connection failed (never after the user's own `close()`). At most once. */
  onClose(): void;
}

export interface ListenHandle {
  /** Stop accepting; connections already accepted are not affected. */
  close(): void;
  /** The bound TCP port (the one asked for, or the one the host chose when 0 was asked and it is known). */
  readonly port: number;
}

export interface ListenerPort {
  /**
   * Accept TCP connections on `port` (0: any free port); `accept` returns the handler for each new
   * socket. Throws when the host binds synchronously and the port is unavailable.
   */
  listen(port: number, accept: (socket: StreamSocket) => StreamHandler): ListenHandle;
}

export interface AnnouncerPort {
  /** Advertise `_sendspin._tcp` on `port` with TXT `path` and `name`. */
  advertise(service: { name: string; port: number; path: string }): { close(): void };
}

/** PCM format of the sink: interleaved little-endian signed integer samples. */
export interface PcmFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

/**
 * Audio output: a continuous PCM stream to the DAC. The player (modules/player/) is its main user;
 * implemented by drivers/audio-out.ts on the device (ECMA-419 `embedded:io/audio/out`, AudioOut.Async),
 * by modules/audio/timed-sink.ts (simulator), by test/support/recording-sink.ts (tests), and proxied by
 * modules/audio/arbiter.ts (player vs spoken prompts).
 *
 * The contract, precisely:
 * - Memory. A user that streams (the player) calls `allocate` once, if present, for all its audio
 *   memory (jitter buffer and output blocks) and only ever writes views into that memory. On the
 *   device it must be non-relocatable and outside the XS chunk heap (a SharedArrayBuffer, or host
 *   memory), so that AudioOut.Async feeds it to I2S from its native task without running JavaScript
 *   and without a copy in JS. Absent: the player allocates a SharedArrayBuffer itself.
 * - `open(format)` configures the output for `format` (one of `nativeFormats`; anything else throws).
 *   Any previous output stops and queued buffers are dropped (their `done` runs). The sink is then idle.
 *   Re-opening with another rate/format is how the player switches formats.
 * - `write(buf, frames, done)` queues `frames` whole frames, the first `frames × frameBytes` bytes of
 *   `buf`, to play right after the previously queued frames (gapless while the queue has not run dry).
 *   The player always writes whole output blocks (`frames × frameBytes === buf.length`, one view per
 *   block made once per format), so a driver can hand `buf` itself to AudioOut.Async. The sink reads but
 *   never modifies `buf`, and owns it until it calls `done`. Returns false, queueing nothing, when it
 *   cannot take the buffer now; it then calls `onWritable` once it can. It never calls `done` or
 *   `onWritable` from inside `write`.
 * - `done` runs exactly once per accepted write, in write order: as soon as the sink no longer reads the
 *   buffer (played, or copied into the DMA ring), or when the buffer is dropped by flush/open/close (then
 *   possibly during that call). The player passes one preallocated callback per block: no allocation.
 * - `queuedFrames()`: frames accepted and not yet output at the DAC (includes DMA and FIFOs).
 * - `nextPlayTimeUs()`: the local time (ClockPort µs; may be fractional) at which the first frame of the
 *   next `write` will leave the DAC. While the queue has not run dry, that is the end of the queue
 *   (gapless; a sink whose hardware must be fed ahead, e.g. a DMA ring refilled per buffer, may count
 *   less than `latencyUs()` queued as dry); when dry, `nowUs() + latencyUs()`, and a write that follows
 *   at once should start at the time answered (the player computes its start from it). It must advance with the DAC's
 *   true rate as measured against the clock port (not the nominal rate, if the two clocks differ) and be
 *   accurate to a small fraction of a millisecond (≤ 50 µs): the player's sync accuracy is this
 *   accuracy plus its own. The player reads it once per chunk and per block.
 * - `latencyUs()`: output latency of the open sink: from a write into an idle sink to its first frame
 *   at the DAC. The player reports it (inside required_lead_time_ms and min_buffer_ms).
 * - `flush()`: drop everything queued (their `done` runs) and stop output promptly (stream/clear,
 *   stream/end). When it returns the sink holds no buffer (a driver swallows late native completions of
 *   dropped buffers). The sink stays open and idle.
 * - `close()`: flush and release the hardware; the next use is `open`.
 * - `setGain(gain)`: linear amplitude 0..1 applied by the sink natively to output from now on (volume
 *   and mute; Moddable's esp32 AudioOut `volume` has 1/256 steps, so gains below 1/256 are silence).
 */
export interface AudioSinkPort {
  /** Formats the output path takes without per-sample work in JavaScript. */
  readonly nativeFormats: readonly PcmFormat[];
  /** Memory for a streaming user's audio buffers (see above). */
  allocate?(bytes: number): Uint8Array;
  /** (Re)open the output with this format; drops anything queued. */
  open(format: PcmFormat): void;
  close(): void;
  /** Queue `frames` frames of `buf`; the sink owns `buf` until `done`. False: not now (see onWritable). */
  write(buf: Uint8Array, frames: number, done?: () => void): boolean;
  /** Frames queued and not yet played. */
  queuedFrames(): number;
  /** Local time (clock port µs) at which the next frame written will start to play. */
  nextPlayTimeUs(): number;
  /** Output latency of the idle sink (µs). */
  latencyUs(): number;
  /** Drop everything queued (stream/clear, stream/end). */
  flush(): void;
  /** Linear gain 0..1 applied by the sink (native on device). */
  setGain(gain: number): void;
  /** Installed by the user: called after a refused write once the sink can take one. */
  onWritable?: (() => void) | undefined;
}

export type ButtonPress = "short" | "long";

export interface ButtonPort {
  /** Debounced presses. */
  onPress(cb: (press: ButtonPress) => void): void;
}

export type OutChannelKind = "display" | "speaker" | "other";

export interface OutChannelPort {
  /** Channels this device conveys a dynamic PIN through (advertised as `out_channels`). */
  readonly kinds: readonly OutChannelKind[];
  /** Convey the PIN to the operator (speak it, show it); may be called again to repeat it. */
  emitPin(pin: string): void;
  /** Stop conveying (the attempt ended). */
  clear(): void;
}

export type IndicatorCue =
  | "pairing-window-open"
  | "pairing-window-closed"
  | "paired"
  | "pairing-failed"
  | "refused"
  | "connected"
  | "disconnected";

export interface IndicatorPort {
  /** A transient cue (LED blink, short sound). Never a persistent state. */
  cue(kind: IndicatorCue): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogPort {
  log(level: LogLevel, message: string): void;
}

/** Everything the core is given. */
export interface Platform {
  clock: ClockPort;
  random: RandomPort;
  flash: FlashPort;
  listener: ListenerPort;
  announcer: AnnouncerPort;
  audio: AudioSinkPort;
  button: ButtonPort;
  outChannel: OutChannelPort;
  indicator: IndicatorPort;
  crypto: CryptoProvider;
  log: LogPort;
  /**
   * WebSocket unmasking in native code (the device: drivers/crypto/native-unmask.ts); absent: the WebSocket
   * server's JavaScript loop. In XS that loop costs as much as the rest of the audio receive path together.
   */
  unmask?: Unmasker;
}
