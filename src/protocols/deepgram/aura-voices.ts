/**
 * Deepgram Aura model names -> Kokoro voices, for the Deepgram-compatible Speak socket
 * (docs/deepgram.md has the table as users see it).
 *
 * Each English Aura voice maps to a Kokoro voice of the same expressed gender and the
 * nearest accent Kokoro has: American and Filipino English -> en-us; British, Irish and
 * Australian English -> en-gb. Within a group the best-graded Kokoro voices are shared out
 * so that two Aura voices an agent pairs usually stay distinct, and the defaults of
 * Deepgram (asteria), Pipecat (helena), LiveKit (andromeda) and Deepgram's featured voice
 * (thalia) all get af_heart, the best-graded voice.
 *
 * Aura voices of other languages are refused rather than mapped: only English Aura voices have
 * a mapping yet (Kokoro's other languages are served on the native and OpenAI routes; a mapping
 * of Aura's Spanish, French, Italian and Japanese voices is left to do).
 */
import { resolveVoiceName } from '../../shared/voices.ts';

export type AuraAccent = 'american' | 'british' | 'irish' | 'australian' | 'filipino';

export interface AuraVoice {
  gender: 'female' | 'male';
  accent: AuraAccent;
  kokoro: string;
}

const f = (accent: AuraAccent, kokoro: string): AuraVoice => ({ gender: 'female', accent, kokoro });
const m = (accent: AuraAccent, kokoro: string): AuraVoice => ({ gender: 'male', accent, kokoro });

/** Aura (first generation): `aura-<name>-en`. */
const AURA_1: Readonly<Record<string, AuraVoice>> = {
  asteria: f('american', 'af_heart'),
  luna: f('american', 'af_bella'),
  stella: f('american', 'af_nicole'),
  hera: f('american', 'af_kore'),
  athena: f('british', 'bf_emma'),
  orion: m('american', 'am_michael'),
  arcas: m('american', 'am_fenrir'),
  perseus: m('american', 'am_puck'),
  orpheus: m('american', 'am_echo'),
  zeus: m('american', 'am_eric'),
  angus: m('irish', 'bm_lewis'),
  helios: m('british', 'bm_george'),
};

/** Aura-2 English: `aura-2-<name>-en`. */
const AURA_2: Readonly<Record<string, AuraVoice>> = {
  andromeda: f('american', 'af_heart'),
  asteria: f('american', 'af_heart'),
  helena: f('american', 'af_heart'),
  thalia: f('american', 'af_heart'),
  athena: f('american', 'af_bella'),
  aurora: f('american', 'af_bella'),
  luna: f('american', 'af_bella'),
  selene: f('american', 'af_bella'),
  callista: f('american', 'af_nicole'),
  cora: f('american', 'af_nicole'),
  cordelia: f('american', 'af_nicole'),
  delia: f('american', 'af_nicole'),
  electra: f('american', 'af_aoede'),
  harmonia: f('american', 'af_aoede'),
  hera: f('american', 'af_kore'),
  iris: f('american', 'af_kore'),
  janus: f('american', 'af_kore'),
  juno: f('american', 'af_sarah'),
  minerva: f('american', 'af_sarah'),
  ophelia: f('american', 'af_sarah'),
  phoebe: f('american', 'af_nova'),
  vesta: f('american', 'af_nova'),
  amalthea: f('filipino', 'af_alloy'),
  pandora: f('british', 'bf_emma'),
  theia: f('australian', 'bf_isabella'),
  apollo: m('american', 'am_michael'),
  neptune: m('american', 'am_michael'),
  orion: m('american', 'am_michael'),
  arcas: m('american', 'am_fenrir'),
  odysseus: m('american', 'am_fenrir'),
  zeus: m('american', 'am_fenrir'),
  aries: m('american', 'am_puck'),
  orpheus: m('american', 'am_puck'),
  atlas: m('american', 'am_echo'),
  pluto: m('american', 'am_echo'),
  hermes: m('american', 'am_eric'),
  saturn: m('american', 'am_eric'),
  jupiter: m('american', 'am_liam'),
  mars: m('american', 'am_onyx'),
  draco: m('british', 'bm_george'),
  hyperion: m('australian', 'bm_fable'),
};

/** Every Aura model name served, with its voice (docs and tests list them from here). */
export function auraModels(): Array<{ model: string } & AuraVoice> {
  return [
    ...Object.entries(AURA_1).map(([name, v]) => ({ model: `aura-${name}-en`, ...v })),
    ...Object.entries(AURA_2).map(([name, v]) => ({ model: `aura-2-${name}-en`, ...v })),
  ];
}

const AURA_NAME = /^aura-(2-)?([a-z]+)-([a-z]{2})$/;

export type ModelResolution = { ok: true; voice: string } | { ok: false; message: string };

/**
 * A Speak `model`: an Aura name, or anything the host's own voice grammar accepts (a
 * Kokoro voice id, a mix such as `af_bella(2)+af_sky`, an OpenAI voice name).
 */
export function resolveModel(model: string): ModelResolution {
  const aura = AURA_NAME.exec(model.toLowerCase());
  if (aura !== null) {
    const [, gen2, name, language] = aura;
    if (language !== 'en') return { ok: false, message: `model "${model}": only English Aura voices are mapped here (aura-*-en and aura-2-*-en); Kokoro's other languages are on /v1/tts/ws and /v1/audio/speech` };
    const table = gen2 === undefined ? AURA_1 : AURA_2;
    const voice = Object.hasOwn(table, name!) ? table[name!] : undefined;
    if (voice === undefined) return { ok: false, message: `unknown model "${model}"; docs/deepgram.md lists the Aura names served` };
    return { ok: true, voice: voice.kokoro };
  }
  const voice = resolveVoiceName(model);
  if (voice === null) return { ok: false, message: `unknown model "${model}": use an Aura name or a Kokoro voice (GET /v1/voices)` };
  return { ok: true, voice };
}
