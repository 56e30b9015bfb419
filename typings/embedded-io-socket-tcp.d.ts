// ECMA-419 TCP socket (SDK: typings/embedded_io/socket/tcp.d.ts; implementations modules/io/socket/lwip/tcp.c
// on esp32, modules/io/socket/lin/tcp.c on the desktop simulator). Same shape as the SDK's typing.
// Behaviour the typing does not say (read in tcp.c): read(buffer) fills the whole buffer and throws
// "invalid" when fewer bytes are available; write() throws "would block" when the send buffer lacks room.
declare module "embedded:io/socket/tcp" {
  export type Options = ((({
    address: string;
  } | {
    host: string;
  }) & {
    port: number;
  }) | {
    from: TCP;
  }) & {
    nodelay?: boolean;
    onReadable?: (this: TCP, bytes: number) => void;
    onWritable?: (this: TCP, bytes: number) => void;
    onError?: (this: TCP) => void;
    format?: "number" | "buffer";
    target?: any;
  };

  export default class TCP {
    constructor(options: Options);
    readonly remoteAddress: string | undefined;
    readonly remotePort: number | undefined;
    read(byteLength?: number): number | ArrayBuffer;
    read(buffer: ByteBuffer): void;
    write(value: number | ByteBuffer): void;
    close(): void;
    get format(): "number" | "buffer";
    set format(value: "number" | "buffer");
  }
}
