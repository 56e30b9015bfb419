// Identities and PSK identifiers (spec §Identities, §Pre-Shared Key).

import { base64urlDecode, base64urlEncode } from "../modules/util/base64url.js";
import { fromHex } from "../modules/util/bytes.js";
import { utf8Encode } from "../modules/util/utf8.js";
import type { CryptoProvider } from "./provider.js";

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/** A fresh X25519 keypair from the provider's CSPRNG. */
export function generateKeyPair(crypto: CryptoProvider): KeyPair {
  const privateKey = new Uint8Array(32);
  crypto.randomBytes(privateKey);
  return { privateKey, publicKey: crypto.x25519Base(privateKey) };
}

export function keyPairFromPrivate(crypto: CryptoProvider, privateKey: Uint8Array): KeyPair {
  return { privateKey: privateKey.slice(), publicKey: crypto.x25519Base(privateKey) };
}

/** client_id / server_id: the public key, base64url without padding (43 characters). */
export function keyId(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new Error("keyId: a public key is 32 bytes");
  return base64urlEncode(publicKey);
}

/** Strict decoding of a 43-character base64url 32-byte value (key, PSK, nonce, psk_id). */
export function decodeKeyId(s: unknown): Uint8Array | undefined {
  return base64urlDecode(s, 32);
}

const PSK_ID_LABEL = utf8Encode("sendspin-psk-id-v1");

/** psk_id = base64url(SHA-256("sendspin-psk-id-v1" || PSK)). */
export function pskId(crypto: CryptoProvider, psk: Uint8Array): string {
  return base64urlEncode(crypto.sha256(PSK_ID_LABEL, psk));
}

/** Sentinel PSK = SHA-256("sendspin-sentinel-psk-v1"): public, used before any pairing record exists. */
export const SENTINEL_PSK: Uint8Array = fromHex("1b5e24dbc1aed95fc2a5a338a90c05df44bd10f5ec1f4cd66cbf86272767b9d3");
/** Its psk_id, a published constant. */
export const SENTINEL_PSK_ID = "GFsV9tLaSQm9HcFWpKsgYQOr7wFTvNUtkmFwuVz3zoo";
