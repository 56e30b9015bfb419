// Moddable's legacy Ethernet module (modules/network/ethernet/ethernet.js, SDK 8.2.3; the SDK ships no typing for
// it, so manifest-ethernet.json hands this file to mcconfig's tsc too). start() brings up the PHY the build's
// defines.ethernet describe (the ESP32's internal EMAC or an SPI W5500/ENC28J60) and lwIP's "ETH_DEF" interface;
// an instance reports link and address changes to its callback.
declare module "ethernet" {
  type EthernetMessage = "gotIP" | "lostIP" | "connect" | "disconnect";
  class Ethernet {
    constructor(onNotify: (message: EthernetMessage, code?: number) => void);
    close(): void;
    static start(): void;
    static useDHCP(): void;
    static useStaticIP(ipAddr: string, netmask: string, gateway: string): void;
    static readonly gotIP: "gotIP";
    static readonly lostIP: "lostIP";
    static readonly connected: "connect";
    static readonly disconnected: "disconnect";
  }
  export default Ethernet;
}
