// The playground: speak text over the native WebSocket (ws-v1) and play the chunks as they
// arrive, stop (barge-in), download, and show what a voice agent cares about (first audible
// audio, per-chunk synthesis and queue times, underruns, the word being spoken).
// Its parts: host-api.js (the API key), status.js, download.js, voices.js, mix.js, and the
// player worklet.
import { api as hostApi, apiKey, saveKey } from './host-api.js';
import { download } from './download.js';
import { mixVoice } from './mix.js';
import { fillVoiceSelect, previewText } from './voices.js';
import { keepStatusFresh, refreshStatus } from './status.js';

const $ = (id) => document.getElementById(id);

const state = {
  config: null,
  voices: [],
  mix: [],
  socket: null,
  audio: null,
  turnSeq: 0,
  /** The turn being spoken: { id, startedAt, chunks, doneFrame, played, ... } */
  turn: null,
  /** Every finished turn's numbers (the tests read them; the page shows the last). */
  history: [],
  /** Stopped turns whose player has not confirmed yet, by id. */
  stopping: new Map(),
  pendingMeta: null,
};

/** fetch() with the key; a refused key opens the key form. */
const api = (path, init) => hostApi(path, init, () => askForKey('the host refused the key'));

function askForKey(why) {
  $('key-form').hidden = false;
  if (why !== undefined) showMessage(why);
  $('api-key').focus();
}

// ---- voices, mix, speed -------------------------------------------------------------

function voiceInUse() {
  if (state.mix.length === 0) return { ok: true, voice: $('voice').value };
  return mixVoice(state.mix);
}

function renderMix() {
  const list = $('mix-rows');
  list.replaceChildren();
  state.mix.forEach((row, i) => {
    const name = state.voices.find((v) => v.id === row.voice)?.name ?? row.voice;
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.textContent = name;
    const weight = document.createElement('input');
    Object.assign(weight, { type: 'number', min: '0.1', step: '0.1', value: String(row.weight) });
    weight.setAttribute('aria-label', `weight of ${name}`);
    weight.addEventListener('input', () => {
      row.weight = Number(weight.value);
      renderVoiceInUse();
    });
    const remove = document.createElement('button');
    Object.assign(remove, { type: 'button', textContent: 'Remove' });
    remove.setAttribute('aria-label', `remove ${name} from the mix`);
    remove.addEventListener('click', () => {
      state.mix.splice(i, 1);
      renderMix();
    });
    li.append(label, weight, remove);
    list.append(li);
  });
  renderVoiceInUse();
}

function renderVoiceInUse() {
  const v = voiceInUse();
  $('voice-in-use').textContent = v.ok ? v.voice : v.message;
}

function speed() {
  return Number($('speed').value);
}

// ---- the audio graph ------------------------------------------------------------------

async function audioGraph() {
  if (state.audio !== null) return state.audio;
  const ctx = new AudioContext({ sampleRate: state.config.sample_rate, latencyHint: 'interactive' });
  await ctx.audioWorklet.addModule('/web/player-worklet.js');
  const node = new AudioWorkletNode(ctx, 'kokoro-player', { numberOfInputs: 0, outputChannelCount: [1] });
  node.connect(ctx.destination);
  node.port.onmessage = (event) => onPlayer(event.data);
  state.audio = { ctx, node };
  return state.audio;
}

function onPlayer(m) {
  const turn = state.turn?.id === m.turn ? state.turn : state.stopping.get(m.turn);
  if (turn === undefined) return;
  if (m.type === 'first') {
    turn.firstAudibleMs = Math.round(performance.now() - turn.startedAt);
  } else if (m.type === 'progress') {
    turn.played = m.played;
    if (turn === state.turn) highlight(turn, (m.played / state.config.sample_rate) * 1000);
  } else if (m.type === 'underrun') {
    turn.underruns = m.underruns;
  } else if (m.type === 'ended' || m.type === 'stopped') {
    finishTurn(turn);
    Object.assign(turn, { played: m.played, audible: m.audible, underruns: m.underruns, outcome: m.type });
    state.stopping.delete(turn.id);
    state.history.push(turn);
    void refreshStatus();
  }
  renderSummary(turn);
}

// ---- the socket -------------------------------------------------------------------------

function openSocket() {
  if (state.socket !== null) return state.socket;
  const url = new URL(state.config.ws_path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '?format=f32le&timestamps=1';
  const key = apiKey();
  const ws = key === '' ? new WebSocket(url) : new WebSocket(url, ['bearer', key]);
  ws.binaryType = 'arraybuffer';
  state.socket = new Promise((resolve, reject) => {
    ws.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return onAudioFrame(event.data);
      const frame = JSON.parse(event.data);
      if (frame.type === 'ready') resolve(ws);
      onFrame(frame);
    });
    ws.addEventListener('close', (event) => {
      state.socket = null;
      reject(new Error(`the socket closed (${event.code})`));
      if (state.turn !== null) {
        showMessage(`the connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
        stopPlayback();
      }
    });
  });
  return state.socket;
}

function onFrame(frame) {
  const turn = state.turn;
  switch (frame.type) {
    case 'tts_meta':
      state.pendingMeta = frame;
      return;
    case 'tts_done':
      if (turn !== null && frame.turn_id === turn.id) {
        turn.doneFrame = frame;
        state.audio?.node.port.postMessage({ type: 'end', turn: turn.id });
        renderSummary(turn);
      }
      return;
    case 'cancelled': {
      // Stop ends the turn on the page at once; the host's answer is kept with it.
      const cancelled = turn?.id === frame.turn_id ? turn : state.history.find((t) => t.id === frame.turn_id);
      if (cancelled !== undefined) cancelled.cancelled = frame;
      return;
    }
    case 'error':
      showMessage(`${frame.code}: ${frame.message}`);
      return;
  }
}

function onAudioFrame(buffer) {
  const meta = state.pendingMeta;
  state.pendingMeta = null;
  const turn = state.turn;
  if (meta === null || turn === null || meta.turn_id !== turn.id) return;
  const samples = new Float32Array(buffer);
  const chunk = { index: meta.index, text: meta.text, samples: samples.length, synthMs: meta.synth_ms, queueMs: meta.queue_ms, startMs: turn.receivedMs };
  turn.receivedMs += (samples.length / meta.sample_rate) * 1000;
  turn.chunks.push(chunk);
  addChunkRow(chunk);
  addTranscript(turn, chunk, meta);
  state.audio.node.port.postMessage({ type: 'chunk', turn: turn.id, samples }, [samples.buffer]);
}

// ---- speaking -----------------------------------------------------------------------------

async function speak(text, voice) {
  showMessage('');
  if (text.trim() === '') return showMessage('there is no text to speak');
  if (!voice.ok) return showMessage(voice.message);
  const { ctx, node } = await audioGraph();
  await ctx.resume();
  if (state.turn !== null) stop();
  const ws = await openSocket();
  const turn = {
    id: `page-${++state.turnSeq}`,
    voice: voice.voice,
    speed: speed(),
    startedAt: performance.now(),
    chunks: [],
    receivedMs: 0,
    words: [],
    played: 0,
    audible: 0,
    underruns: 0,
    firstAudibleMs: null,
    doneFrame: null,
    cancelled: null,
    outcome: null,
  };
  state.turn = turn;
  $('chunks').tBodies[0].replaceChildren();
  $('transcript').replaceChildren();
  $('stop').disabled = false;
  node.port.postMessage({ type: 'start', turn: turn.id });
  ws.send(JSON.stringify({ type: 'speak', turn_id: turn.id, text, voice: turn.voice, speed: turn.speed }));
  renderSummary(turn);
}

/** Barge-in: the host drops the turn (`cancel`) and playback stops at once. */
function stop() {
  const turn = state.turn;
  if (turn === null) return;
  void state.socket?.then((ws) => ws.send(JSON.stringify({ type: 'cancel', turn_id: turn.id })), () => undefined);
  stopPlayback();
}

/** The player drops its queue and answers 'stopped' (or 'ended', if it just finished) with its totals. */
function stopPlayback() {
  const turn = state.turn;
  if (turn === null) return;
  state.stopping.set(turn.id, turn);
  finishTurn(turn);
  state.audio?.node.port.postMessage({ type: 'stop' });
}

/** The turn is no longer the one speaking; it joins the history when the player confirms. */
function finishTurn(turn) {
  if (state.turn !== turn) return;
  state.turn = null;
  $('stop').disabled = true;
  for (const el of document.querySelectorAll('#transcript .current')) el.classList.remove('current');
}

// ---- what the page shows ----------------------------------------------------------------

function renderSummary(turn) {
  const sr = state.config.sample_rate;
  const parts = [
    turn.outcome === null ? 'speaking' : turn.outcome === 'ended' ? 'done' : 'stopped',
    `voice ${turn.voice} at ${turn.speed.toFixed(2)}×`,
    `first audible audio ${turn.firstAudibleMs === null ? '…' : `${turn.firstAudibleMs} ms`}`,
    `played ${((turn.played / sr) * 1000).toFixed(0)} ms`,
    `underruns ${turn.underruns}`,
  ];
  if (turn.doneFrame !== null) parts.push(`host: ${turn.doneFrame.chunks} chunks, ${turn.doneFrame.audio_ms} ms of audio, first audio ${turn.doneFrame.first_audio_ms} ms`);
  $('turn-summary').textContent = parts.join(' · ');
}

function addChunkRow(chunk) {
  const row = $('chunks').tBodies[0].insertRow();
  for (const value of [chunk.index, chunk.text, Math.round((chunk.samples / state.config.sample_rate) * 1000), chunk.synthMs, chunk.queueMs]) {
    row.insertCell().textContent = String(value);
  }
}

/** The chunk's text in the transcript: one span per timed word (ws-v1 word timing), else one per chunk. */
function addTranscript(turn, chunk, meta) {
  const transcript = $('transcript');
  const offset = typeof meta.offset_ms === 'number' ? meta.offset_ms : chunk.startMs;
  const timed = Array.isArray(meta.words) && meta.words.length > 0 ? meta.words : [{ word: chunk.text, start_ms: 0, end_ms: (chunk.samples / meta.sample_rate) * 1000 }];
  for (const w of timed) {
    const span = document.createElement('span');
    span.textContent = w.word;
    transcript.append(span, ' ');
    turn.words.push({ span, startMs: offset + w.start_ms, endMs: offset + w.end_ms });
  }
}

function highlight(turn, playedMs) {
  let current = null;
  for (const w of turn.words) if (w.startMs <= playedMs) current = w;
  for (const w of turn.words) w.span.classList.toggle('current', w === current && playedMs <= current.endMs + 250);
}

function showMessage(text) {
  $('message').textContent = text;
}

// ---- start ------------------------------------------------------------------------------------

async function loadVoices() {
  const body = await (await api('/v1/voices')).json();
  state.voices = body.voices;
  fillVoiceSelect($('voice'), body.voices, body.default);
  renderVoiceInUse();
}

function wire() {
  const guard = (fn) => () => fn().catch((err) => showMessage(err.message));
  $('speak').addEventListener('click', guard(() => speak($('text').value, voiceInUse())));
  $('stop').addEventListener('click', stop);
  $('preview').addEventListener('click', guard(() => {
    const v = state.voices.find((x) => x.id === $('voice').value);
    return speak(previewText(v), { ok: true, voice: v.id });
  }));
  $('download').addEventListener('click', guard(() => download({ voice: voiceInUse(), speed: speed(), api, showMessage })));
  $('voice').addEventListener('change', renderVoiceInUse);
  $('speed').addEventListener('input', () => ($('speed-value').textContent = `${speed().toFixed(2)}×`));
  $('mix-add').addEventListener('click', () => {
    const voice = $('voice').value;
    if (!state.mix.some((r) => r.voice === voice)) state.mix.push({ voice, weight: 1 });
    renderMix();
  });
  $('mix-clear').addEventListener('click', () => {
    state.mix = [];
    renderMix();
  });
  $('text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $('speak').click();
    }
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.turn !== null) stop();
  });
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    saveKey($('api-key').value);
    $('key-form').hidden = true;
    state.socket = null;
    showMessage('');
    loadVoices().catch((err) => showMessage(err.message));
  });
}

async function main() {
  wire();
  state.config = await (await fetch('/web/config.json')).json();
  for (const f of state.config.formats) $('format').append(new Option(f, f, false, f === 'mp3'));
  keepStatusFresh();
  if (state.config.auth && apiKey() === '') askForKey();
  else await loadVoices();
}

/** For people poking at the page from the console, and for the browser tests. */
window.kokoroPlayground = {
  history: () => state.history.map(({ words, ...t }) => ({ ...t, chunks: t.chunks.map((c) => ({ ...c })) })),
  /** The turn being spoken, or null. */
  current: () => (state.turn === null ? null : { id: state.turn.id, played: state.turn.played, firstAudibleMs: state.turn.firstAudibleMs, chunks: state.turn.chunks.length }),
  ready: main().catch((err) => showMessage(err.message)),
};
