/**
 * A WebSocket client by hand, for the faults a well-behaved client library cannot produce:
 * a raw `net` socket upgraded with a hand-written request, client frames built byte by byte
 * (bad masks, reserved bits, fragments), and the server's frames parsed as they arrive.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Test } from 'tap';
import { within } from '../../harness/host-process.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** A socket upgraded by hand; the server's frames are parsed as they arrive. */
export class RawWs {
  readonly socket: Socket;
  readonly frames: ServerFrame[] = [];
  readonly ended: Promise<void>;
  #buf = Buffer.alloc(0);

  private constructor(socket: Socket, rest: Buffer) {
    this.socket = socket;
    // Not events.once: it rejects on 'error', and a write the server cut off (EPIPE, after
    // it closed a faulty stream) is expected here; 'close' always follows it.
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) => this.#take(d));
    this.#take(rest);
  }

  /** Completes the upgrade handshake by hand. */
  static async open(t: Test, port: number, apiKey: string): Promise<RawWs> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    t.teardown(() => socket.destroy());
    await once(socket, 'connect');
    socket.write(upgradeRequest(port, apiKey, true));
    let head = Buffer.alloc(0);
    while (!head.includes('\r\n\r\n')) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      head = Buffer.concat([head, chunk]);
    }
    socket.removeAllListeners('data');
    const end = head.indexOf('\r\n\r\n') + 4;
    const status = head.subarray(0, end).toString('latin1').split('\r\n')[0];
    if (status !== 'HTTP/1.1 101 Switching Protocols') throw new Error(`upgrade refused: ${status}`);
    return new RawWs(socket, head.subarray(end));
  }

  write(frames: Buffer | Buffer[]): void {
    this.socket.write(Array.isArray(frames) ? Buffer.concat(frames) : frames);
  }

  /** The close code the server sent, once the connection is gone (bounded). */
  async closeCode(ms: number): Promise<number | undefined> {
    await within(this.ended, ms, 'the server to close the connection');
    const close = this.frames.find((f) => f.opcode === 0x8);
    return close === undefined || close.payload.length < 2 ? undefined : close.payload.readUInt16BE(0);
  }

  #take(data: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, data]);
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + len) return;
      this.frames.push({ opcode: b[0]! & 0x0f, payload: b.subarray(at, at + len) });
      this.#buf = b.subarray(at + len);
    }
  }
}

/** The upgrade request of the native socket, whole or cut off after three header lines. */
export function upgradeRequest(port: number, apiKey: string, complete: boolean): string {
  const lines = [
    'GET /v1/tts/ws HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    'Sec-WebSocket-Version: 13',
    `Authorization: Bearer ${apiKey}`,
  ];
  return complete ? `${lines.join('\r\n')}\r\n\r\n` : `${lines.slice(0, 3).join('\r\n')}\r\n`;
}

/** A client frame; masked unless told otherwise, as RFC 6455 requires of clients. */
export function frame(opcode: number, payload: Buffer | string, o: { fin?: boolean; rsv1?: boolean; mask?: boolean } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const masked = o.mask ?? true;
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 === true ? 0x40 : 0) | opcode;
  let head: Buffer;
  if (data.length < 126) head = Buffer.from([b0, (masked ? 0x80 : 0) | data.length]);
  else if (data.length < 65536) head = Buffer.from([b0, (masked ? 0x80 : 0) | 126, data.length >> 8, data.length & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = (masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!masked) return Buffer.concat([head, data]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}
