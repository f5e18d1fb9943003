/**
 * The unmodified Deepgram JS SDK (@deepgram/sdk 5.x) pointed at a started host, with every
 * message it delivers recorded in order so a test can await the next one matching a
 * predicate (bounded waits, no sleeps). Binary audio arrives from the SDK as Blobs; they
 * are kept in order and read once a test needs the bytes.
 */
import { DeepgramClient } from '@deepgram/sdk';
import type { Test } from 'tap';
import { Inbox } from './inbox.ts';

type SpeakV1 = DeepgramClient['speak']['v1'];
export type SpeakArgs = Parameters<SpeakV1['connect']>[0];
type SpeakSocket = Awaited<ReturnType<SpeakV1['connect']>>;

export type DgMessage = { kind: 'json'; data: Record<string, unknown> } | { kind: 'audio'; blob: Blob };

export interface OpenOptions {
  /** The key the SDK sends as `Authorization: Token <key>`; `false` sends no header. */
  apiKey?: string | false;
  /** Keep the SDK's default reconnect policy (30 attempts) instead of none. */
  reconnect?: boolean;
}

/** `ws://127.0.0.1:PORT` of a host started by test/helpers/gateway.ts. */
export function wsBase(httpBase: string): string {
  return httpBase.replace(/^http/, 'ws');
}

export class SpeakClient {
  readonly socket: SpeakSocket;
  readonly errors: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #inbox = new Inbox<DgMessage>('message');

  private constructor(socket: SpeakSocket) {
    this.socket = socket;
    socket.on('message', (m: unknown) => {
      if (m instanceof Blob) this.#inbox.push({ kind: 'audio', blob: m });
      else if (typeof m === 'object' && m !== null) this.#inbox.push({ kind: 'json', data: m as Record<string, unknown> });
      else throw new Error(`the SDK delivered a message that is neither JSON nor audio: ${String(m)}`);
    });
    socket.on('error', (e: Error) => void this.errors.push(e.message));
    this.closed = new Promise((resolve) => {
      socket.on('close', (event: { code: number; reason: string }) => {
        resolve({ code: event.code, reason: event.reason });
        this.#inbox.end();
      });
    });
  }

  /** Connect through the SDK; rejects with the SDK's error when the upgrade is refused. */
  static async open(t: Test, base: string, args: SpeakArgs = {}, options: OpenOptions = {}): Promise<SpeakClient> {
    const auth = options.apiKey === false ? { auth: false as const } : { apiKey: options.apiKey ?? 'unused' };
    const dg = new DeepgramClient({ ...auth, baseUrl: base });
    const socket = await dg.speak.v1.connect({ ...(options.reconnect === true ? {} : { reconnectAttempts: 0 }), ...args });
    const client = new SpeakClient(socket);
    t.teardown(() => client.socket.close());
    socket.connect();
    try {
      await socket.waitForOpen();
    } catch (err) {
      throw new Error((err as { message?: string }).message ?? String(err));
    }
    return client;
  }

  /** Every message received so far. */
  get messages(): readonly DgMessage[] {
    return this.#inbox.items;
  }

  /** The next unread message matching `match` (messages before it are consumed too). */
  next(match: (m: DgMessage) => boolean = () => true, ms = 10_000): Promise<DgMessage> {
    return this.#inbox.next(match, ms);
  }

  /** The next JSON message of this type. */
  async json(type: string, ms?: number): Promise<Record<string, unknown>> {
    const m = await this.next((m) => m.kind === 'json' && m.data.type === type, ms);
    return (m as { data: Record<string, unknown> }).data;
  }

  /** Every message up to and including the next JSON message of this type. */
  until(type: string, ms = 10_000): Promise<DgMessage[]> {
    return this.#inbox.until((m) => m.kind === 'json' && m.data.type === type, ms);
  }

  speak(text: string): void {
    this.socket.sendText({ type: 'Speak', text });
  }

  flush(): void {
    this.socket.sendFlush({ type: 'Flush' });
  }

  clear(): void {
    this.socket.sendClear({ type: 'Clear' });
  }

  /** Deepgram's Close message (not a WebSocket close). */
  sendClose(): void {
    this.socket.sendClose({ type: 'Close' });
  }
}

/** The audio bytes of `messages`, concatenated in order. */
export async function audioOf(messages: readonly DgMessage[]): Promise<Buffer> {
  const blobs = messages.flatMap((m) => (m.kind === 'audio' ? [m.blob] : []));
  return Buffer.concat(await Promise.all(blobs.map(async (b) => Buffer.from(await b.arrayBuffer()))));
}

/** The JSON messages of `messages`. */
export function jsonOf(messages: readonly DgMessage[]): Record<string, unknown>[] {
  return messages.flatMap((m) => (m.kind === 'json' ? [m.data] : []));
}
