// ECMA-419 audio output (SDK: typings/embedded_io/audio/out.d.ts; modules/io/audioout). On esp32 the
// I2S pins, slot and format come from the manifest `defines.audioOut` (compile time); sampleRate 8000–48000.
// The implementations also have close() and AudioOut.Async, which the SDK typing leaves out.
declare module "embedded:io/audio/out" {
  type AudioType = "LPCM";

  interface AudioOutOptions {
    bitsPerSample?: 8 | 16;
    channels?: 1 | 2;
    sampleRate?: number;
    audioType?: AudioType;
    format?: "buffer";
    target?: any;
  }

  class AudioOut {
    constructor(
      options?: AudioOutOptions & {
        /** Bytes that write() accepts now (lin also passes the sample count). */
        onWritable?: (this: AudioOut, byteLength: number, sampleCount?: number) => void;
      },
    );
    write(buffer: ByteBuffer): void;
    start(): void;
    stop(options?: { flush?: boolean }): void;

    readonly audioType: AudioType;
    readonly bitsPerSample: 8 | 16;
    readonly channels: 1 | 2;
    readonly sampleRate: number;
    get format(): "buffer";
    set format(value: "buffer");
    /** 0..1, applied natively to 16-bit samples. */
    volume: number;
  }

  export { AudioOut as default };
}
