// The reference server's public surface (see README.md in this folder).

export { ReferenceServer, type ReferenceServerOptions, type ServerRecord, type ConnectOptions } from "./server.js";
export {
  ServerConnection, ConnectionClosed, HandshakeFailed, WaitTimeout,
  type PskSpec, type PskKind, type HandshakeOptions, type Activation, type InMessage, type InBinary, type OutRecord, type CloseInfo,
} from "./connection.js";
export { PinPairing, PairingFailed, choosePinLength, pairWithPairingPsk, pairWithStaticPin, pairWithDynamicPin, type PairingOptions, type DynamicPinOptions, type PairingResult } from "./pairing.js";
export { AudioSender, sendAheadFromState, type AudioStreamOptions, type AudioStats, type PcmStreamFormat, type SentChunk } from "./audio.js";
export { ServerClock, type ServerClockOptions } from "./clock.js";
export { nodeRandom } from "./random.js";
export { pairingPskFromToken } from "./token.js";
export * as framing from "./framing.js";
export * as wire from "./wire.js";
