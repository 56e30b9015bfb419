// Moddable's legacy mDNS / DNS-SD responder (SDK: typings/mdns.d.ts; implementation
// modules/network/mdns/mdns.js). Same shape as the SDK's typing. The implementation also has close()
// (sends goodbyes) and the message constants MDNS.hostName = 1, MDNS.retry = 2, MDNS.error = -1, which
// the typing omits (the driver reaches them through a narrow cast).
declare module "mdns" {
  type MDNSService = {
    name: string;
    protocol: string;
    port: number;
    txt: Record<string, string>;
  };
  class MDNS {
    constructor(
      options: {
        hostName: string;
      },
      callback?: (message: number, value?: string) => void,
    );
    monitor(service: string, callback: (service: string, instance: MDNSService) => void): void;
    add(service: MDNSService): void;
    update(service: MDNSService): void;
    remove(service: MDNSService): void;
    remove(serviceType: string): void;
  }
  export { MDNS as default };
}
