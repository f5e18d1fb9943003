/** Abusers (matrix B1, B16): their sessions must be closed, and must not disturb anyone else. */
import type { Socket } from 'node:net';
import { within, type HostProcess } from '../../harness/host-process.ts';
import { SoakConn } from './conn.ts';
import { SENTENCES } from './turns.ts';

export async function slowReader(host: HostProcess): Promise<string> {
  const conn = await SoakConn.open(`${host.wsUrl}?format=f32le&speed=0.5`);
  const socket = (conn.ws as unknown as { _socket: Socket })._socket;
  const closing = host.nextLine((l) => l.sessionId === conn.sessionId && l.msg === 'ws session closing', 180_000, "the slow reader's close");
  socket.pause();
  conn.ws.send(JSON.stringify({ type: 'speak', text: SENTENCES.join(' ').repeat(12), turn_id: 'slow' }));
  try {
    const line = await closing;
    return `closed ${String(line.code)} (${String(line.reason)})`;
  } catch (err) {
    return `NOT closed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    socket.resume();
    await within(conn.closed, 60_000, 'the slow reader to close').catch(() => conn.ws.terminate());
  }
}

export async function cancelFlood(host: HostProcess): Promise<string> {
  const conn = await SoakConn.open(host.wsUrl);
  const cancel = JSON.stringify({ type: 'cancel' });
  let sent = 0;
  while (conn.open && sent < 100_000) {
    conn.ws.send(cancel);
    if (++sent % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const code = await within(conn.closed, 10_000, 'the flood to be closed').catch(() => -1);
  return `closed ${code} after ${sent} messages`;
}
