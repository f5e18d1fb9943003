import t from 'tap';
import { playInRealTime } from '../../bench/lib/playback.ts';

t.test('real-time playback: a chunk that arrives after the audio before it has played is an underrun', async (t) => {
  // 1 s chunks at 24 kHz: the second arrives while the first plays, the third 500 ms late.
  const second = 24_000;
  t.same(playInRealTime([{ atMs: 100, samples: second }, { atMs: 900, samples: second }, { atMs: 2600, samples: second }], 24_000), { underruns: 1, stallMs: 500 });
  t.same(playInRealTime([{ atMs: 0, samples: second }, { atMs: 1000, samples: second }], 24_000), { underruns: 0, stallMs: 0 }, 'arriving exactly on time is no underrun');
  t.same(playInRealTime([], 24_000), { underruns: 0, stallMs: 0 });
});
