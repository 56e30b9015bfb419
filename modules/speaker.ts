// The speaker: mounts the store, builds the identity and the pairing token, starts the WebSocket server
// and the mDNS announcer, wires the button, the Player and the sessions, and reports events. main.ts
// (device) and sim/main.ts (simulator) call startSpeaker with their Platform; the simulator's `reboot`
// calls stop() and starts again on the same flash.

import { keyId } from "../crypto/ids.js";
import { encodePairingToken } from "../crypto/pairing-token.js";
import type { CryptoProvider, SuiteName } from "../crypto/provider.js";
import { Store } from "../storage/store.js";
import { ConfigError, type SpeakerConfig } from "./config.js";
import type { Platform } from "./platform.js";
import { Player } from "./player/player.js";
import { envelope } from "./protocol/envelope.js";
import type { PinMethod } from "./protocol/names.js";
import type { ProtocolSetting } from "./protocol/revision.js";
import { Sessions, type SessionEvent } from "./session/sessions.js";
import { WebSocketServer, type WsConnection } from "./websocket/server.js";

export type SpeakerEvent =
  | { event: "ready"; client_id: string; port: number; path: string; pairing_token: string; static_pin: string | null; protocol: ProtocolSetting }
  | { event: "pairing_window"; open: boolean }
  | { event: "paired"; server_id: string }
  | { event: "lockout"; method: PinMethod; locked_out: boolean }
  | { event: "pairing_token"; pairing_token: string } // the pairing PSK was rotated by management
  | { event: "connection"; server_id: string; state: string; [k: string]: unknown }
  | { event: "stopped"; reason: string };

export interface Speaker {
  /**
   * Close every connection (activated ones get client/goodbye `reason`, default "shutdown"; the
   * simulator's reboot passes "restart"), stop listening and announcing, silence the Player and drop
   * every timer of the sessions. Idempotent.
   */
  stop(reason?: "shutdown" | "restart"): void;
  readonly clientId: string;
  /** The TCP port listened on (config.port, or the one the host chose when it was 0). */
  readonly port: number;
  /** The session state (tests and the simulator's diagnostics). */
  readonly sessions: Sessions;
  readonly store: Store;
}

/** Largest WebSocket message: one Noise message (65,535 bytes); fragmentation above that is ours. */
const MAX_WS_MESSAGE = 65535;

/**
 * Largest text message. Text frames carry only the cleartext handshake (server/init, noise/handshake
 * message 1), a few hundred bytes; every later message is binary. The bound matters before any
 * authentication: decoding and validating a text message on the chip costs about 6,000 rv32
 * instructions per byte (npm run bench:chip), so 2 KiB keeps an anonymous peer's worst message near
 * 13 M instructions (about 80 ms on an ESP32-C3) instead of 100 M for the WebSocket layer's 16 KiB default.
 */
const MAX_WS_TEXT = 2048;

/** The suite announced in client/init: the configured one, or the backend's fastest. */
export function chooseSuite(config: SpeakerConfig, crypto: CryptoProvider): SuiteName {
  if (config.suite === "auto") return crypto.suites[0];
  if (crypto.suites.indexOf(config.suite) < 0) throw new ConfigError(`config suite: ${config.suite} is not served by the ${crypto.name} crypto backend`);
  return config.suite;
}

export function startSpeaker(platform: Platform, config: SpeakerConfig, onEvent: (e: SpeakerEvent) => void = () => {}): Speaker {
  const { clock, crypto } = platform;
  const info = (m: string) => platform.log.log("info", m);
  const emit = (e: SpeakerEvent) => {
    try {
      onEvent(e);
    } catch (err) {
      platform.log.log("error", `speaker: event listener threw: ${String(err)}`);
    }
  };
  const store = Store.mount(platform.flash, {
    slots: config.recordSlots,
    crypto,
    defaults: { staticPinEnabled: config.staticPin, dynamicPinEnabled: config.dynamicPin, minPinLength: config.minPinLength, unpairedAccess: config.unpairedAccess },
    log: info,
  });
  const suite = chooseSuite(config, crypto);
  if (config.protocol !== "baseline" && config.maxSockets > config.recordSlots) {
    // a current-revision pairing evicts a record that backs no open connection: with more sockets than
    // slots every record could be in use and the pairing would store nothing (docs/current-revision.md)
    platform.log.log("warn", `speaker: maxSockets ${config.maxSockets} exceeds recordSlots ${config.recordSlots}: a current-revision pairing may find no record to evict`);
  }
  const identity = store.settings.identity;
  const clientId = keyId(identity.publicKey);

  let sessions: Sessions | null = null;
  const player = new Player(
    {
      clock,
      audio: platform.audio,
      log: platform.log,
      sendJson: (type, payload) => {
        if (sessions) sessions.sendFromPlayer(envelope(type, payload));
      },
      staticDelayMs: () => store.settings.staticDelayMs,
      persistStaticDelayMs: (ms) => {
        try {
          store.updateSettings({ staticDelayMs: ms });
        } catch (e) {
          platform.log.log("warn", `speaker: static delay not persisted: ${String(e)}`);
        }
      },
    },
    config,
  );
  sessions = new Sessions({
    config,
    crypto,
    clock,
    log: platform.log,
    store,
    identity,
    clientId,
    suite,
    player,
    outChannel: platform.outChannel,
    indicator: platform.indicator,
    emit: (e: SessionEvent) => emit(e),
  });
  const live = sessions;

  const wss = new WebSocketServer(platform.listener, {
    port: config.port,
    path: config.path,
    maxMessageBytes: MAX_WS_MESSAGE,
    maxTextBytes: MAX_WS_TEXT,
    maxConnections: config.maxSockets,
    clock,
    log: platform.log,
    unmask: platform.unmask,
    sha1: crypto.sha1 ? (data: Uint8Array) => crypto.sha1!(data) : undefined,
    onConnection: (c: WsConnection) => live.accept(c),
  });
  const port = wss.port;
  const announcement = platform.announcer.advertise({ name: config.name, port, path: config.path });

  let stopped = false;
  // ButtonPort has no way to unregister: a stopped speaker ignores the presses it still receives.
  platform.button.onPress((press) => {
    if (!stopped) live.onButton(press);
  });

  info(`speaker: ${config.name} listening on ${port}${config.path} as ${clientId} (${suite}, ${crypto.name} crypto)`);
  emit({
    event: "ready",
    client_id: clientId,
    port,
    path: config.path,
    pairing_token: encodePairingToken(identity.publicKey, store.settings.pairingPsk),
    static_pin: config.staticPin ? store.settings.staticPin : null,
    protocol: config.protocol,
  });

  return {
    clientId,
    get port() {
      return wss.port; // known once the host has bound it (config port 0: a free one)
    },
    sessions: live,
    store,
    stop(reason: "shutdown" | "restart" = "shutdown"): void {
      if (stopped) return;
      stopped = true;
      live.stop(reason);
      player.deactivate();
      wss.close();
      announcement.close();
      emit({ event: "stopped", reason });
    },
  };
}
