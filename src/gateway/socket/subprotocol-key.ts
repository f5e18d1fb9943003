/**
 * A key presented in the WebSocket subprotocol offer, `Sec-WebSocket-Protocol: token, <key>`
 * (or `bearer, <key>`): browsers cannot set headers on a WebSocket, and this keeps the key
 * out of every URL. Two protocols read it (the native socket, Deepgram's Speak socket), so it
 * lives here; each wires it into its own key reader. The ws server answers such an upgrade
 * with the first protocol offered (`token` or `bearer`), so the key is never echoed back.
 */
export function subprotocolKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parts = header.split(',').map((p) => p.trim());
  const at = parts.findIndex((p) => /^(token|bearer)$/i.test(p));
  const key = at < 0 ? undefined : parts[at + 1];
  return key === undefined || key === '' ? undefined : key;
}
