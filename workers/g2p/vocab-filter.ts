/**
 * Every symbol a front end emits is checked against Kokoro's vocab
 * (../shared/kokoro/vocab.json, copied to workers/kokoro/vocab.json): a symbol the model has
 * no id for is dropped with a debug log (NODE_DEBUG=kokoro-g2p), never sent and never a crash.
 */
import { debuglog } from 'node:util';
import { VOCAB } from '../kokoro/tokenizer.ts';

const debug = debuglog('kokoro-g2p');

/** `phonemes` without the symbols Kokoro does not know (spaces are kept: they are tokens too). */
export function keepKnownSymbols(phonemes: string, lang: string): string {
  let out = '';
  let dropped = '';
  for (const ch of phonemes) {
    if (VOCAB.has(ch)) out += ch;
    else dropped += ch;
  }
  if (dropped !== '') debug('%s: dropped symbols outside the vocab: %j', lang, [...new Set(dropped)].join(' '));
  return out;
}
