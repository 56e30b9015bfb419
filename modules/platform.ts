// The ports: everything the core is given by its host. One object (Platform) carries them; each driver
// set (device in drivers/, simulator in sim/, tests) provides all of them. The core never reaches a
// host API any other way.

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

/** PCM format of the sink. */
export interface PcmFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

/**
 * Audio output. Shaped after Moddable's ECMA-419 `embedded:io/audio/out` (AudioOut.Async): the sink
 * takes whole sample buffers it may hold until played, reports what is queued and when the next
 * queued sample plays, and applies volume natively.
 */
export interface AudioSinkPort {
  /** Formats the output path takes without per-sample conversion in JavaScript. */
  readonly nativeFormats: readonly PcmFormat[];
  /** (Re)open the output with this format; drops anything queued. */
  open(format: PcmFormat): void;
  close(): void;
  /**
   * Queue `frames` frames from `buf` (interleaved little-endian PCM of the open format). The sink owns
   * the buffer until `done` is called, then the caller may reuse it.
   */
  write(buf: Uint8Array, frames: number, done?: () => void): boolean;
  /** Frames queued and not yet played. */
  queuedFrames(): number;
  /** Local time (clock port µs) at which the next frame written will start to play. */
  nextPlayTimeUs(): number;
  /** Drop everything queued (stream/clear, stream/end). */
  flush(): void;
  /** Linear gain 0..1 applied by the sink (native on device). */
  setGain(gain: number): void;
  /** Register for "space available" notifications. */
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
}
