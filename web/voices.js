// The voice picker: /v1/voices grouped by language and gender, best-graded voices first.

const LANGUAGES = {
  'en-us': 'American English',
  'en-gb': 'British English',
  es: 'Spanish',
  fr: 'French',
  hi: 'Hindi',
  it: 'Italian',
  ja: 'Japanese',
  'pt-br': 'Brazilian Portuguese',
  zh: 'Mandarin Chinese',
};

/** [{ label, voices }] in a stable order: language, then gender; voices by grade, then name. */
export function groupVoices(voices) {
  const groups = new Map();
  for (const v of voices) {
    const label = `${LANGUAGES[v.language] ?? v.language} · ${v.gender}`;
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(v);
  }
  // Ungraded voices (Kokoro's Spanish and Portuguese ones) after graded ones.
  const byGrade = (a, b) => (a.grade === '') - (b.grade === '') || a.grade.localeCompare(b.grade) || a.name.localeCompare(b.name);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, list]) => ({ label, voices: list.sort(byGrade) }));
}

/** Fills a <select> with one <optgroup> per group; `selected` is the host's default voice. */
export function fillVoiceSelect(select, voices, selected) {
  select.replaceChildren();
  for (const group of groupVoices(voices)) {
    const optgroup = document.createElement('optgroup');
    optgroup.label = group.label;
    for (const v of group.voices) {
      const option = new Option(v.grade === '' ? v.name : `${v.name} (${v.grade})`, v.id, false, v.id === selected);
      optgroup.append(option);
    }
    select.append(optgroup);
  }
}

/** A short sentence that names the voice in its own language (the host reads it in that language), for the Preview button. */
const PREVIEWS = {
  es: (n) => `Hola, soy ${n}. Así es como sueno.`,
  fr: (n) => `Bonjour, je suis ${n}. Voici ma voix.`,
  hi: () => 'नमस्ते, मेरी आवाज़ ऐसी है।',
  it: (n) => `Ciao, sono ${n}. Ecco la mia voce.`,
  ja: () => 'こんにちは。これが私の声です。',
  'pt-br': (n) => `Olá, eu sou ${n}. Esta é a minha voz.`,
  zh: () => '你好，这是我的声音。',
};

export function previewText(voice) {
  const own = PREVIEWS[voice.language];
  return own === undefined ? `Hello, I am ${voice.name}. This is how I sound.` : own(voice.name);
}
