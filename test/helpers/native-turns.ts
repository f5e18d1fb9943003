/**
 * A native ws-v1 turn as a test sees it: a socket opened up to its ready frame, and each
 * turn's frames up to its tts_done, with the audio indices and error frames picked out.
 */
import type { Test } from 'tap';
import { audioChunks, jsonFrames, WsClient, type Frame } from './gateway.ts';

/** A native socket at `url`, its ready frame read; terminated at the test's end. */
export async function openReady(t: Test, url: string): Promise<WsClient> {
  const client = await WsClient.open(url);
  t.teardown(() => client.ws.terminate());
  await client.json('ready');
  return client;
}

export interface TurnOutcome {
  frames: Frame[];
  indices: number[];
  errors: Record<string, unknown>[];
  done: Record<string, unknown>;
}

/** Speaks `text` as turn `turnId` and collects it. */
export async function turn(client: WsClient, text: string, turnId: string, ms = 60_000): Promise<TurnOutcome> {
  client.send({ type: 'speak', text, turn_id: turnId });
  return collect(client, turnId, ms);
}

/** The frames of turn `turnId` up to its tts_done. */
export async function collect(client: WsClient, turnId: string, ms = 60_000): Promise<TurnOutcome> {
  const frames = await client.until((d) => d.type === 'tts_done' && d.turn_id === turnId, ms);
  const json = jsonFrames(frames).filter((f) => f.turn_id === turnId);
  return {
    frames,
    indices: audioChunks(frames).filter((c) => c.meta.turn_id === turnId).map((c) => c.meta.index as number),
    errors: json.filter((f) => f.type === 'error'),
    done: json.at(-1)!,
  };
}
