// The current-revision layer of the reference server (see README.md in the parent folder).

export { CurrentReferenceServer, type CurrentServerOptions, type CurrentConnectOptions } from "./server.js";
export { CurrentConnection, type CurrentHandshakeOptions } from "./connection.js";
export {
  CodePairing, pairWithDynamicCode, pairWithPairingPskCurrent, pairWithStaticCode,
  type CodeFormat, type CodeMethod, type CurrentPairingOptions, type CurrentPairingResult, type DynamicCodeOptions,
} from "./pairing.js";
export { decodeToken, encodeToken, pairingPskFromTokenCurrent } from "./token.js";
export * as currentFraming from "./framing.js";
export * as currentWire from "./wire.js";
export * as derive from "./derive.js";
