import t from 'tap';
import { redactUrl } from '../../src/logger.ts';
import { TokenBucket } from '../../src/gateway/socket/rate-limit.ts';
import { FlowControl } from '../../src/gateway/socket/flow.ts';
import { parseClientFrame, parseQueryDefaults, Reject } from '../../src/protocols/native-ws/messages.ts';
import { parseSpeechRequest } from '../../src/protocols/openai/request.ts';
import { ApiError } from '../../src/gateway/http-errors.ts';

function rejectOf(frame: string): Reject {
  try {
    parseClientFrame(frame);
  } catch (err) {
    if (err instanceof Reject) return err;
    throw err;
  }
  throw new Error(`accepted: ${frame}`);
}

t.test('client frames that parse', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['{"type":"config","voice":"af_bella","speed":1.5,"format":"f32le"}', { type: 'config', voice: 'af_bella', speed: 1.5, format: 'f32le' }],
    ['{"type":"config","voice":"nova"}', { type: 'config', voice: 'af_nova', speed: undefined, format: undefined }],
    ['{"type":"text","text":"hi","turn_id":"a"}', { type: 'text', text: 'hi', turnId: 'a' }],
    ['{"type":"text","text":"","extra":{"future":true}}', { type: 'text', text: '', turnId: undefined }],
    ['{"type":"flush"}', { type: 'flush', turnId: undefined }],
    ['{"type":"speak","text":"x","voice":"af_bella(2)+af_sky(1)","speed":0.5}', { type: 'speak', text: 'x', turnId: undefined, voice: 'af_bella(2)+af_sky(1)', speed: 0.5 }],
    ['{"type":"cancel","turn_id":"t"}', { type: 'cancel', turnId: 't' }],
    ['{"type":"ping","id":7}', { type: 'ping', id: 7 }],
    ['{"type":"ping"}', { type: 'ping', id: undefined }],
    ['{"type":"config","lang":"e"}', { type: 'config', lang: 'es' }],
    ['{"type":"speak","text":"olá","voice":"pf_dora","lang":"pt-BR"}', { type: 'speak', text: 'olá', voice: 'pf_dora', lang: 'pt-br' }],
    ['{"type":"speak","text":"你好","voice":"af_heart+zf_xiaobei","lang":"zh_Hans"}', { type: 'speak', text: '你好', voice: 'af_heart+zf_xiaobei', lang: 'zh' }],
  ];
  for (const [frame, expected] of cases) t.same(parseClientFrame(frame), expected, frame);
});

t.test('client frames rejected with their protocol code', async (t) => {
  const cases: Array<[string, string]> = [
    ['not json', 'bad_message'],
    ['[1,2]', 'bad_message'],
    ['"text"', 'bad_message'],
    ['null', 'bad_message'],
    ['{"type":"dance"}', 'bad_message'],
    ['{"type":7}', 'bad_message'],
    ['{"text":"no type"}', 'bad_message'],
    ['{"type":"text"}', 'bad_message'],
    ['{"type":"text","text":5}', 'bad_message'],
    ['{"type":"text","text":"a","turn_id":5}', 'bad_message'],
    ['{"type":"text","text":"a","turn_id":""}', 'bad_message'],
    [`{"type":"text","text":"a","turn_id":"${'x'.repeat(129)}"}`, 'bad_message'],
    ['{"type":"ping","id":{"a":1}}', 'bad_message'],
    ['{"type":"config","voice":"nope"}', 'invalid_voice'],
    ['{"type":"config","voice":""}', 'invalid_voice'],
    ['{"type":"config","voice":null}', 'invalid_voice'],
    ['{"type":"config","voice":"../x"}', 'invalid_voice'],
    ['{"type":"speak","text":"a","voice":"zz_nobody"}', 'invalid_voice'],
    ['{"type":"config","speed":"fast"}', 'invalid_speed'],
    ['{"type":"config","speed":0}', 'invalid_speed'],
    ['{"type":"config","speed":-1}', 'invalid_speed'],
    ['{"type":"config","speed":2.01}', 'invalid_speed'],
    ['{"type":"config","speed":1e9}', 'invalid_speed'],
    ['{"type":"config","speed":null}', 'invalid_speed'],
    ['{"type":"speak","text":"a","speed":0.25}', 'invalid_speed'],
    ['{"type":"config","format":"mp3"}', 'invalid_format'],
    ['{"type":"config","format":1}', 'invalid_format'],
    ['{"type":"config","lang":"klingon"}', 'invalid_lang'],
    ['{"type":"config","lang":""}', 'invalid_lang'],
    ['{"type":"config","lang":null}', 'invalid_lang'],
    ['{"type":"speak","text":"a","lang":"de"}', 'invalid_lang'],
    ['{"type":"speak","text":"a","lang":["es"]}', 'invalid_lang'],
  ];
  for (const [frame, code] of cases) t.equal(rejectOf(frame).code, code, frame);
  t.equal(rejectOf('{"type":"speak","text":"a","voice":"no","turn_id":"t9"}').turnId, 't9', 'the turn_id travels with the rejection');
  t.equal(rejectOf('['.repeat(100000)).code, 'bad_message', 'deep nesting is just bad JSON');
});

t.test('query defaults: good values apply, bad ones are reported and left at the default', async (t) => {
  t.same(parseQueryDefaults({ voice: 'am_adam', speed: '1.25', format: 'f32le' }), { voice: 'am_adam', speed: 1.25, format: 'f32le', rejects: [] });
  const bad = parseQueryDefaults({ voice: 'nope', speed: 'NaN', format: 'wav' });
  t.same(bad.rejects.map((r) => r.code), ['invalid_voice', 'invalid_speed', 'invalid_format']);
  t.equal(bad.voice, undefined);
  t.same(parseQueryDefaults({ speed: '3' }).rejects.map((r) => r.code), ['invalid_speed']);
  t.same(parseQueryDefaults({ lang: 'ja-JP' }), { lang: 'ja', rejects: [] });
  const badLang = parseQueryDefaults({ lang: 'x' });
  t.same([badLang.lang, badLang.rejects.map((r) => r.code)], [undefined, ['invalid_lang']], 'a bad lang is reported and left unset');
  t.same(parseQueryDefaults({ speed: ['1', '2'] }).rejects.map((r) => r.code), ['invalid_speed'], 'a repeated parameter is not a number');
});

t.test('speech request validation', async (t) => {
  const ok = { model: 'tts-1', input: 'Hello.', voice: 'alloy' };
  const p = parseSpeechRequest(ok, 100);
  t.same([p.voice, p.format, p.speed, p.streamFormat], ['af_alloy', 'mp3', 1, 'audio']);
  t.equal(parseSpeechRequest({ ...ok, speed: 4 }, 100).speed, 2, 'clamped to Kokoro range');
  t.equal(parseSpeechRequest({ ...ok, speed: 0.25 }, 100).speed, 0.5, 'clamped to Kokoro range');
  t.equal(parseSpeechRequest({ ...ok, voice: undefined }, 100).voice, 'af_heart', 'voice defaults');
  t.equal(parseSpeechRequest(ok, 100).lang, undefined, 'no lang: the voice decides (in the worker)');
  t.equal(parseSpeechRequest({ ...ok, lang: 'f' }, 100).lang, 'fr', 'a lang_code letter');
  t.equal(parseSpeechRequest({ ...ok, lang_code: 'p' }, 100).lang, 'pt-br', "Kokoro-FastAPI's field name");
  t.equal(parseSpeechRequest({ ...ok, lang: 'hi-IN', lang_code: 'e' }, 100).lang, 'hi', 'lang wins over lang_code');
  const cases: Array<[unknown, string, string | null, number]> = [
    [[1], 'invalid_request', null, 400],
    [{ ...ok, model: 'whisper-1' }, 'invalid_request', 'model', 400],
    [{ ...ok, model: undefined }, 'invalid_request', 'model', 400],
    [{ ...ok, input: 3 }, 'invalid_request', 'input', 400],
    [{ ...ok, input: '   ' }, 'empty_text', 'input', 400],
    [{ ...ok, input: 'x'.repeat(101) }, 'text_too_long', 'input', 413],
    [{ ...ok, voice: 'zz_nobody' }, 'invalid_voice', 'voice', 400],
    [{ ...ok, response_format: 'ogg' }, 'invalid_format', 'response_format', 400],
    [{ ...ok, response_format: 'aac' }, 'invalid_format', 'response_format', 400],
    [{ ...ok, speed: 4.5 }, 'invalid_speed', 'speed', 400],
    [{ ...ok, speed: '1' }, 'invalid_speed', 'speed', 400],
    [{ ...ok, stream_format: 'chunks' }, 'invalid_request', 'stream_format', 400],
    [{ ...ok, lang: 'xx' }, 'invalid_lang', 'lang', 400],
    [{ ...ok, lang_code: 'en-ZZ' }, 'invalid_lang', 'lang_code', 400],
  ];
  for (const [body, code, param, status] of cases) {
    try {
      parseSpeechRequest(body, 100);
      t.fail(`accepted ${JSON.stringify(body)}`);
    } catch (err) {
      t.ok(err instanceof ApiError);
      const e = err as ApiError;
      t.same([e.code, e.param, e.statusCode], [code, param, status], JSON.stringify(body));
    }
  }
});

t.test('token bucket: a burst, then the sustained rate', async (t) => {
  const bucket = new TokenBucket(10, 3, 0);
  t.same([bucket.take(1, 0), bucket.take(1, 0), bucket.take(1, 0), bucket.take(1, 0)], [true, true, true, false]);
  t.equal(bucket.take(1, 50), false, 'half a token is not a token');
  t.equal(bucket.take(1, 100), true, 'one token after 100 ms at 10/s');
  t.same([bucket.take(1, 10_000), bucket.take(1, 10_000), bucket.take(1, 10_000), bucket.take(1, 10_000)], [true, true, true, false], 'never more than the burst');
});

t.test('token bucket: a cost per take (characters), capped at the burst', async (t) => {
  const chars = new TokenBucket(100, 50, 0);
  t.equal(chars.take(30, 0), true);
  t.equal(chars.take(30, 0), false, 'not enough left for 30');
  t.equal(chars.take(20, 0), true, 'a refused take took nothing');
  t.equal(chars.take(1, 0), false, 'empty');
  t.equal(chars.take(5000, 1000), true, 'a cost over the burst is charged as the burst once the bucket is full');
  t.equal(chars.take(1, 1000), false, 'and empties it');
});

t.test('flow control pauses above the high-water mark, resumes below, and flags a reader stuck over the hard limit', async (t) => {
  let buffered = 0;
  const events: string[] = [];
  let slow!: () => void;
  const slowReader = new Promise<void>((resolve) => (slow = resolve));
  const flow = new FlowControl(() => buffered, {
    highWaterBytes: 100,
    hardLimitBytes: 200,
    graceMs: 20,
    onPause: () => events.push('pause'),
    onResume: () => events.push('resume'),
    onSlowReader: () => {
      events.push('slow');
      slow();
    },
  });
  t.teardown(() => flow.close());
  buffered = 150;
  flow.check();
  flow.check();
  buffered = 50;
  flow.check();
  t.same(events, ['pause', 'resume']);
  buffered = 250;
  flow.check();
  buffered = 150;
  flow.check();
  buffered = 250;
  flow.check();
  await slowReader;
  t.same(events, ['pause', 'resume', 'pause', 'slow']);
});

t.test('URLs are logged without the api_key value', async (t) => {
  t.equal(redactUrl('/v1/tts/ws?voice=a&api_key=secret&x=1'), '/v1/tts/ws?voice=a&api_key=[redacted]&x=1');
  t.equal(redactUrl('/v1/tts/ws?API_KEY=secret'), '/v1/tts/ws?API_KEY=[redacted]');
});
