// ECMA-419 Wi-Fi station (SDK: typings/embedded_network/interface/wifi.d.ts; modules/io/wifi).
// esp32 only here. The SDK's own setup code reads `connection` as: <= 200 disconnected, >= 400
// associated, >= 500 has an IP address.
declare module "embedded:network/interface/wifi" {
  import type { PortSpecifier } from "embedded:io/_common";

  export type WiFiChangedProperty = "connection" | "address";

  export interface WiFiConstructorOptions {
    port?: PortSpecifier;
    onChanged?: (property: WiFiChangedProperty) => void;
  }

  export interface WiFiScanResult {
    SSID: string;
    channel: number;
    RSSI: number;
    BSSID?: string;
  }

  export interface WiFiScanOptions {
    onFound?: (result: WiFiScanResult) => void;
    onComplete?: () => void;
  }

  export interface WiFiConnectOptions {
    SSID: string;
    password?: string;
  }

  export interface WiFiStaticAddress {
    address: string;
    mask: string;
    gateway: string;
  }

  export interface WiFiConfigureOptions {
    hostname?: string;
    static?: WiFiStaticAddress | false;
  }

  class WiFi {
    constructor(options: WiFiConstructorOptions);
    close(): void;
    scan(options: WiFiScanOptions): void;
    connect(options: WiFiConnectOptions): void;
    disconnect(): void;
    configure(options: WiFiConfigureOptions): void;
    readonly connection: number;
    readonly address: string | undefined;
    readonly MAC: string | undefined;
    readonly SSID: string | undefined;
    readonly RSSI: number | undefined;
  }

  export default WiFi;
}
