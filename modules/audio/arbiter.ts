// One physical output, two users: the player (music) and spoken prompts (the dynamic PIN). The arbiter
// hands the core a proxy sink (`player`) and plays prompts itself. A prompt takes the output over: what
// the player had queued is dropped, the player's writes are refused (plain back-pressure: it waits for
// onWritable) until the prompt has played out, then the player's own format is restored and it is told
// it may write again. A prompt plays in the player's open format, or in the sink's first native format
// when the player has none open.

import type { AudioSinkPort, ClockPort, LogPort, PcmFormat, TimerHandle } from "../platform.js";
import type { PromptSource } from "./pin-speech.js";

const BLOCK_FRAMES = 512;
const BLOCKS = 3;
/** Prompts play at least this loud, so a PIN is heard even with the music turned down. */
const MIN_PROMPT_GAIN = 0.5;

function sameFormat(a: PcmFormat | null, b: PcmFormat | null): boolean {
  return !!a && !!b && a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;
}

export class AudioArbiter {
  /** The sink the core's player is given (Platform.audio). */
  readonly player: AudioSinkPort;
  private readonly sink: AudioSinkPort;
  private readonly clock: ClockPort;
  private readonly log: LogPort | undefined;
  /** Format the sink is open in (null: closed). */
  private current: PcmFormat | null = null;
  private playerFormat: PcmFormat | null = null;
  private playerGain = 1;
  private playerBlocked = false;
  // prompt state
  private prompt: PromptSource | null = null;
  private promptDone = false;
  private blocks: Uint8Array[] = [];
  private freeBlocks: Uint8Array[] = [];
  private pending: Uint8Array | null = null;
  private pendingFrames = 0;
  private drainTimer: TimerHandle | undefined;

  constructor(sink: AudioSinkPort, clock: ClockPort, log?: LogPort) {
    this.sink = sink;
    this.clock = clock;
    this.log = log;
    sink.onWritable = () => {
      if (this.prompt) this.pump();
      else this.player.onWritable?.();
    };
    const self = this;
    this.player = {
      get nativeFormats() {
        return sink.nativeFormats;
      },
      onWritable: undefined,
      open(format: PcmFormat): void {
        self.playerFormat = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
        if (!self.prompt) self.openSink(format);
      },
      close(): void {
        self.playerFormat = null;
        if (!self.prompt) self.closeSink();
      },
      write(buf: Uint8Array, frames: number, done?: () => void): boolean {
        if (self.prompt || !self.playerFormat) {
          self.playerBlocked = true;
          return false;
        }
        return sink.write(buf, frames, done);
      },
      queuedFrames(): number {
        return self.prompt ? 0 : sink.queuedFrames();
      },
      nextPlayTimeUs(): number {
        return sink.nextPlayTimeUs();
      },
      latencyUs(): number {
        return sink.latencyUs();
      },
      allocate: sink.allocate ? (bytes: number) => sink.allocate!(bytes) : undefined,
      flush(): void {
        if (!self.prompt) sink.flush();
      },
      setGain(gain: number): void {
        self.playerGain = gain;
        sink.setGain(self.prompt ? Math.max(gain, MIN_PROMPT_GAIN) : gain);
      },
    };
  }

  /** True while a prompt holds the output. */
  speaking(): boolean {
    return this.prompt !== null;
  }

  /** Play a prompt now, replacing any prompt in progress. */
  play(source: PromptSource): void {
    if (this.prompt) {
      // replace the prompt in progress without handing the output back in between
      this.prompt = null;
      this.pending = null;
      this.clock.clear(this.drainTimer);
      this.drainTimer = undefined;
      this.sink.flush();
    }
    const format = this.playerFormat ?? this.sink.nativeFormats[0];
    if (!format) {
      this.log?.log("warn", "audio: no output format for the spoken prompt");
      return;
    }
    if (sameFormat(this.current, format)) this.sink.flush();
    else this.openSink(format);
    this.allocateBlocks(format);
    this.prompt = source;
    this.promptDone = false;
    this.pending = null;
    source.start(format);
    this.sink.setGain(Math.max(this.playerGain, MIN_PROMPT_GAIN));
    this.pump();
  }

  /** Cut the prompt short (the attempt ended); the player gets the output back. */
  stop(): void {
    if (this.prompt) this.stopPrompt(true);
  }

  private pump(): void {
    const source = this.prompt;
    if (!source) return;
    for (;;) {
      if (!this.pending) {
        if (this.promptDone) break;
        const block = this.freeBlocks.pop();
        if (!block) break;
        const frames = source.render(block, BLOCK_FRAMES);
        if (frames === 0) {
          this.freeBlocks.push(block);
          this.promptDone = true;
          break;
        }
        this.pending = block;
        this.pendingFrames = frames;
      }
      const block = this.pending;
      if (!this.sink.write(block, this.pendingFrames, () => this.blockReturned(block))) return;
      this.pending = null;
    }
    if (this.promptDone && this.freeBlocks.length === this.blocks.length && this.drainTimer === undefined) {
      // Everything is queued: hand the output back once the last frame has played.
      const waitMs = Math.max(0, Math.ceil((this.sink.nextPlayTimeUs() - this.clock.nowUs()) / 1000));
      this.drainTimer = this.clock.setTimeout(() => {
        this.drainTimer = undefined;
        if (this.prompt === source) this.stopPrompt(false);
      }, waitMs);
    }
  }

  private blockReturned(block: Uint8Array): void {
    if (this.blocks.indexOf(block) >= 0 && this.freeBlocks.indexOf(block) < 0) this.freeBlocks.push(block);
    if (this.prompt) this.pump();
  }

  private stopPrompt(flush: boolean): void {
    this.prompt = null;
    this.pending = null;
    this.clock.clear(this.drainTimer);
    this.drainTimer = undefined;
    if (flush) this.sink.flush();
    // the sink returned (or dropped) every block by now or will on flush: they are ours again
    this.freeBlocks = this.blocks.slice();
    this.sink.setGain(this.playerGain);
    if (this.playerFormat) {
      if (!sameFormat(this.current, this.playerFormat)) this.openSink(this.playerFormat);
    } else this.closeSink();
    if (this.playerBlocked) {
      this.playerBlocked = false;
      this.player.onWritable?.();
    }
  }

  private allocateBlocks(format: PcmFormat): void {
    const bytes = BLOCK_FRAMES * format.channels * (format.bitsPerSample >> 3);
    if (this.blocks.length === BLOCKS && this.blocks[0].length >= bytes) {
      this.freeBlocks = this.blocks.slice();
      return;
    }
    this.blocks = [];
    for (let i = 0; i < BLOCKS; i++) this.blocks.push(new Uint8Array(bytes));
    this.freeBlocks = this.blocks.slice();
  }

  private openSink(format: PcmFormat): void {
    this.sink.open(format);
    this.current = { sampleRate: format.sampleRate, channels: format.channels, bitsPerSample: format.bitsPerSample };
  }

  private closeSink(): void {
    if (this.current) this.sink.close();
    this.current = null;
  }
}
