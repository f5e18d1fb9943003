// Download: the whole text as one encoded file (wav, mp3, opus, flac, ...).

const $ = (id) => document.getElementById(id);

/**
 * Downloads the text as one file through the OpenAI speech route. `voice` and `speed` are the
 * page's current choices; `api` is fetch with the key; `showMessage` reports a failure.
 */
export async function download({ voice, speed, api, showMessage }) {
  showMessage('');
  if (!voice.ok) return showMessage(voice.message);
  const format = $('format').value;
  const res = await api('/v1/audio/speech', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'kokoro', input: $('text').value, voice: voice.voice, response_format: format, speed }),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    return showMessage(`download failed: ${body.error?.code ?? res.status}: ${body.error?.message ?? ''}`);
  }
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `speech.${format}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  showMessage('');
  $('turn-summary').textContent = `downloaded speech.${format} (${Math.round(blob.size / 1024)} KiB)`;
}
