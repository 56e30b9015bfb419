// Peer addresses as keys: the admission policy (modules/websocket/server.ts) and the pre-authentication
// budget (modules/session/preauth-budget.ts) count per host.

/** One key per host: an IPv4 address in IPv6-mapped form (`::ffff:a.b.c.d`) is the same host; unknown is "". */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return "";
  return address.length > 7 && address.slice(0, 7).toLowerCase() === "::ffff:" ? address.slice(7) : address;
}
