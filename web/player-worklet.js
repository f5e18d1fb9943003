// The playback end of the audio graph: chunks of one turn are queued as they arrive and
// played back to back, sample after sample, so joins are exactly what the host sent (it
// trims and fades them: no click is added here). Runs on the audio rendering thread.
//
// Main thread -> worklet: {type:'start', turn}, {type:'chunk', turn, samples}, {type:'end', turn}
// (no more chunks), {type:'stop'} (barge-in). Worklet -> main thread: 'first' (the first
// audible sample of the turn is being played), 'progress' (samples played), 'underrun' (the
// queue ran dry before the turn's end), 'ended' / 'stopped' with the turn's totals.

// -60 dBFS: the host's own silence threshold (KOKORO_SILENCE_THRESHOLD_DBFS default).
const AUDIBLE = 0.001;
// About every 43 ms at 24 kHz (128-frame render quanta): often enough to follow words.
const PROGRESS_EVERY_QUANTA = 8;

class KokoroPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.turn = null;
    this.port.onmessage = (event) => this.onMessage(event.data);
  }

  onMessage(m) {
    if (m.type === 'start') {
      this.turn = m.turn;
      this.queue = [];
      this.offset = 0;
      this.ended = false;
      this.played = 0;
      this.audible = 0;
      this.heard = false;
      this.underruns = 0;
      this.dry = false;
      this.quanta = 0;
    } else if (m.type === 'chunk' && m.turn === this.turn) {
      this.queue.push(m.samples);
    } else if (m.type === 'end' && m.turn === this.turn) {
      this.ended = true;
      if (this.queue.length === 0) this.finish('ended');
    } else if (m.type === 'stop' && this.turn !== null) {
      this.finish('stopped');
    }
  }

  finish(type) {
    this.port.postMessage({ type, turn: this.turn, played: this.played, audible: this.audible, underruns: this.underruns });
    this.turn = null;
    this.queue = [];
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let i = 0;
    if (this.turn !== null) {
      while (i < out.length && this.queue.length > 0) {
        const head = this.queue[0];
        const n = Math.min(out.length - i, head.length - this.offset);
        for (let k = 0; k < n; k++) {
          const v = head[this.offset + k];
          out[i + k] = v;
          if (v >= AUDIBLE || v <= -AUDIBLE) {
            this.audible++;
            if (!this.heard) {
              this.heard = true;
              this.port.postMessage({ type: 'first', turn: this.turn });
            }
          }
        }
        i += n;
        this.offset += n;
        this.played += n;
        if (this.offset === head.length) {
          this.queue.shift();
          this.offset = 0;
        }
      }
      if (this.queue.length > 0) this.dry = false;
      else if (this.ended) this.finish('ended');
      else if (i < out.length && this.played > 0 && !this.dry) {
        // Started and waiting for the next chunk: the listener hears a gap.
        this.dry = true;
        this.underruns++;
        this.port.postMessage({ type: 'underrun', turn: this.turn, underruns: this.underruns });
      }
      if (this.turn !== null && ++this.quanta % PROGRESS_EVERY_QUANTA === 0) {
        this.port.postMessage({ type: 'progress', turn: this.turn, played: this.played });
      }
    }
    out.fill(0, i);
    return true;
  }
}

registerProcessor('kokoro-player', KokoroPlayer);
