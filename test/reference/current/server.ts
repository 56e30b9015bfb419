// A reference server speaking the current revision: the baseline ReferenceServer (identity, clock,
// records by client_id, open/connect) whose connections are CurrentConnection. Its records are
// stored-pubkey records (the long-term PSK with the client_id), as the current text has only those.

import { ReferenceServer, type ConnectOptions, type ReferenceServerOptions } from "../server.js";
import { CurrentConnection, type CurrentHandshakeOptions } from "./connection.js";

export interface CurrentServerOptions extends ReferenceServerOptions {
  /** server/hello `languages` (BCP 47, operator preference first); omitted when undefined. */
  languages?: string[];
}

export type CurrentConnectOptions = ConnectOptions & CurrentHandshakeOptions;

export class CurrentReferenceServer extends ReferenceServer {
  readonly languages: string[] | undefined;

  constructor(o: CurrentServerOptions = {}) {
    super(o);
    this.languages = o.languages;
  }

  override async open(url: string): Promise<CurrentConnection> {
    const c = await CurrentConnection.openCurrent(this, url, this.timeoutMs);
    c.languages = this.languages;
    this.connections.add(c);
    return c;
  }

  override async connect(url: string, o: CurrentConnectOptions = {}): Promise<CurrentConnection> {
    return (await super.connect(url, o)) as CurrentConnection;
  }
}
