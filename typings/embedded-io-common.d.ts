// ECMA-419 common types (SDK: typings/embedded_io/_common.d.ts).
declare module "embedded:io/_common" {
  export type PinSpecifier = number;
  export type PortSpecifier = number;
}
