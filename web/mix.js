// The mix builder's model: voices with weights, written in the host's mix syntax
// ("af_bella(2)+af_sky(1)", src/shared/voices.ts).

/** A weight as the host's grammar takes it: digits with an optional decimal part, no exponent. */
function formatWeight(weight) {
  return String(Math.round(weight * 100) / 100);
}

/**
 * The voice string for the rows, or an error message. One row is that voice alone; two or
 * more are a mix. A weight must be a positive number (the host rejects anything else).
 */
export function mixVoice(rows) {
  if (rows.length === 0) return { ok: false, message: 'the mix is empty' };
  for (const row of rows) {
    if (!Number.isFinite(row.weight) || row.weight <= 0) return { ok: false, message: `the weight of ${row.voice} must be a positive number` };
  }
  if (rows.length === 1) return { ok: true, voice: rows[0].voice };
  return { ok: true, voice: rows.map((r) => `${r.voice}(${formatWeight(r.weight)})`).join('+') };
}
