/**
 * The unmodified LiveKit Agents TTS plugins for ElevenLabs (multi-stream-input) and Cartesia
 * (/tts/websocket), pointed at a started host on the fake pool by their base URL only:
 * text streamed in pieces, flushed, ended; the audio is the fake pool's audio of the phrases
 * synthesized, in order; a stream closed mid-turn (barge-in) leaves the next one clean.
 * Word timing: a fake pool that gives no words leaves the plugins without timed transcripts; one
 * that times words (fakeWords) gets them to the plugins through alignment / word timestamps.
 */
import t from 'tap';
import { initializeLogger } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as elevenlabs from '@livekit/agents-plugin-elevenlabs';
import { floatToS16le } from '../../src/common/audio.ts';
import { fakePcm } from '../helpers/fake-pool.ts';
import { startHost, type Host } from '../helpers/gateway.ts';

initializeLogger({ pretty: false, level: 'fatal' });

const KEY = 'sekret';
type AnyTts = cartesia.TTS | elevenlabs.TTS;

interface Heard {
  pcm: Buffer;
  finals: number;
  timed: number;
}

/** Pushes `pieces` (then flush and end of input unless `keepOpen`), and collects what the plugin yields. */
async function speak(tts: AnyTts, pieces: readonly string[], onFirstAudio?: (stream: { close(): void }) => void): Promise<Heard> {
  const stream = tts.stream();
  for (const piece of pieces) stream.pushText(piece);
  if (onFirstAudio === undefined) {
    stream.flush();
    stream.endInput();
  }
  const parts: Buffer[] = [];
  let finals = 0;
  let timed = 0;
  for await (const ev of stream) {
    if (typeof ev === 'symbol') break;
    const data = ev.frame.data;
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (ev.final) finals++;
    timed += ev.timedTranscripts?.length ?? 0;
    if (onFirstAudio !== undefined && parts.length === 1) {
      onFirstAudio(stream);
      break;
    }
  }
  return { pcm: Buffer.concat(parts), finals, timed };
}

const expected = (texts: readonly string[], voice: string): Buffer => Buffer.concat(texts.map((text) => floatToS16le(fakePcm(text, voice, 1))));
const spoken = (host: Host) => host.pool.calls.map((c) => c.text);

const clients: Array<[string, (base: string) => AnyTts, string]> = [
  ['cartesia', (base) => new cartesia.TTS({ apiKey: KEY, baseUrl: base, voice: 'af_heart', sampleRate: 24000 }), 'af_heart'],
  ['elevenlabs', (base) => new elevenlabs.TTS({ apiKey: KEY, baseURL: `${base}/v1`, voiceId: 'EXAVITQu4vr4xnSDxMaL', encoding: 'pcm_24000' as 'pcm_22050' /* the plugin's type omits pcm_24000; it passes it through */ }), 'af_bella'],
];

for (const [name, make, voice] of clients) {
  t.test(`${name} plugin: streamed pieces, flush, end -> the audio of every phrase in order`, async (t) => {
    const host = await startHost(t, { apiKey: KEY });
    const tts = make(host.base);
    t.teardown(() => tts.close());
    const text = 'Hello there, this is a streamed sentence. And here is another one.';
    const heard = await speak(tts, ['Hello there, ', 'this is a streamed ', 'sentence. And here ', 'is another one.']);
    t.same(spoken(host).join(' ').replace(/\s+/g, ' '), text, 'every word synthesized once, in order');
    t.ok(host.pool.calls.every((c) => c.voice === voice), `spoken as ${voice}`);
    t.same(heard.pcm, expected(spoken(host), voice), 's16le at 24 kHz, phrase after phrase');
    t.equal(heard.finals, 1, 'one final frame');
    t.equal(heard.timed, 0, 'no timed transcripts while the host cannot time words');
  });

  t.test(`${name} plugin: a host that times words gives the plugin timed transcripts`, async (t) => {
    const host = await startHost(t, { apiKey: KEY }, { words: true });
    const tts = make(host.base);
    t.teardown(() => tts.close());
    const heard = await speak(tts, ['Hello there, ', 'this is timed. ', 'And so is this.']);
    t.ok(heard.pcm.length > 0, 'audio arrived');
    t.ok(heard.timed > 0, `timed transcripts reached the plugin (${heard.timed})`);
    t.ok(host.pool.calls.every((c) => c.words === true), 'every chunk was asked for word times');
  });

  t.test(`${name} plugin: a stream closed mid-turn leaves the next turn clean`, async (t) => {
    const host = await startHost(t, { apiKey: KEY });
    const hold = host.pool.hold((req) => req.text.startsWith('Second'));
    const tts = make(host.base);
    t.teardown(() => tts.close());
    const first = await speak(tts, ['First sentence here. Second sentence here. Third sentence'], (stream) => stream.close());
    t.ok(first.pcm.length > 0, 'audio of the first phrase arrived before the barge-in');
    await hold.reached;
    // What the host does with the abandoned generation is the protocol's (Cartesia: the context
    // stays until cancelled or closed; ElevenLabs: close_context lets flushed text play out);
    // the plugin drops its audio, and the next turn must hear only its own text.
    hold.release();
    const before = host.pool.calls.length;
    const next = await speak(tts, ['After the barge-in.']);
    t.same(next.pcm, expected(['After the barge-in.'], voice), 'only the new text is heard');
    t.equal(spoken(host).at(-1), 'After the barge-in.');
    t.ok(before >= 2, 'the first turn was being synthesized when it was closed');
  });
}
