// ECMA-419 TCP listener (SDK: typings/embedded_io/socket/listener.d.ts; implementation
// modules/io/socket/lwip/listener.js + tcp.c on esp32). Same shape as the SDK's typing, which omits the
// close() that the implementation has (the driver reaches it through a narrow cast). The lwIP listener
// binds any address: `address` is ignored there.
declare module "embedded:io/socket/listener" {
  import TCP from "embedded:io/socket/tcp";
  class Listener {
    constructor(options: {
      port?: number;
      address?: string;
      onReadable?: (this: Listener, requests: number) => void;
      format?: "socket/tcp";
      target?: any;
    });
    read(): TCP | undefined;
    get format(): "socket/tcp";
    set format(value: "socket/tcp");
    readonly port: number;
  }
  export default Listener;
}
