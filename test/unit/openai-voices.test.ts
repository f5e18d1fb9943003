/**
 * Every one of OpenAI's 13 voice names is accepted through the unmodified `openai` client
 * (Pipecat's OpenAI service refuses any other name) and synthesized with its mapped Kokoro voice.
 */
import t from 'tap';
import OpenAI from 'openai';
import { OPENAI_VOICE_MAP, VOICES } from '../../src/shared/voices.ts';
import { startHost } from '../helpers/gateway.ts';

const OPENAI_VOICES = ['alloy', 'ash', 'ballad', 'cedar', 'coral', 'echo', 'fable', 'marin', 'nova', 'onyx', 'sage', 'shimmer', 'verse'] as const;

t.test('the map names exactly the 13 OpenAI voices, each a Kokoro catalogue voice', async (t) => {
  t.same(Object.keys(OPENAI_VOICE_MAP).sort(), [...OPENAI_VOICES].sort());
  for (const [name, voice] of Object.entries(OPENAI_VOICE_MAP)) t.ok(Object.hasOwn(VOICES, voice), `${name} -> ${voice}`);
});

t.test('each name through the openai client: 200, audio, the mapped voice synthesized', async (t) => {
  const host = await startHost(t);
  const openai = new OpenAI({ baseURL: `${host.base}/v1`, apiKey: 'unused', maxRetries: 0 });
  for (const name of OPENAI_VOICES) {
    const before = host.pool.calls.length;
    const response = await openai.audio.speech.create({ model: 'tts-1', voice: name, input: 'Hello there.', response_format: 'pcm' });
    const audio = Buffer.from(await response.arrayBuffer());
    t.ok(audio.length > 0, `${name}: audio`);
    t.equal(response.headers.get('x-kokoro-voice'), OPENAI_VOICE_MAP[name], `${name}: reported voice`);
    t.ok(host.pool.calls.slice(before).every((c) => c.voice === OPENAI_VOICE_MAP[name]), `${name}: synthesized with ${OPENAI_VOICE_MAP[name]}`);
  }
});

t.test('GET /v1/audio/voices lists every alias', async (t) => {
  const host = await startHost(t);
  const body = (await (await fetch(`${host.base}/v1/audio/voices`)).json()) as { aliases: Array<{ id: string; voice: string }> };
  t.same(body.aliases.map((a) => a.id).sort(), [...OPENAI_VOICES].sort());
});
