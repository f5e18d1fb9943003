// The voice picker: /v1/voices grouped by language and gender, best-graded voices first.

const LANGUAGES = { 'en-us': 'American English', 'en-gb': 'British English' };

/** [{ label, voices }] in a stable order: language, then gender; voices by grade, then name. */
export function groupVoices(voices) {
  const groups = new Map();
  for (const v of voices) {
    const label = `${LANGUAGES[v.language] ?? v.language} · ${v.gender}`;
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(v);
  }
  const byGrade = (a, b) => a.grade.localeCompare(b.grade) || a.name.localeCompare(b.name);
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
      const option = new Option(`${v.name} (${v.grade})`, v.id, false, v.id === selected);
      optgroup.append(option);
    }
    select.append(optgroup);
  }
}

/** A short sentence that names the voice, for the Preview button. */
export function previewText(voice) {
  return `Hello, I am ${voice.name}. This is how I sound.`;
}
