import t from 'tap';
import { BusyMeter } from '../../src/synth/busy-meter.ts';

t.test('an exponential average of the busy share, exact between events', async (t) => {
  const m = new BusyMeter(1000, 0);
  t.equal(m.value(0), 0);
  m.set(0, 1);
  t.ok(Math.abs(m.value(1000) - (1 - Math.exp(-1))) < 1e-12, 'one time constant fully busy: 63 %');
  t.ok(m.value(10_000) > 0.9999, 'long busy: 1');
  m.set(10_000, 0);
  t.ok(Math.abs(m.value(11_000) - m.value(10_000) * Math.exp(-1)) < 1e-12, 'idle again: decays by e per time constant');
  m.set(12_000, 0.5);
  t.ok(m.value(100_000) > 0.4999 && m.value(100_000) < 0.5001, 'settles at the level');
});

t.test('levels are clamped to 0..1 and time never runs back', async (t) => {
  const m = new BusyMeter(1000, 0);
  m.set(0, 3);
  t.ok(m.value(50_000) <= 1);
  m.set(60_000, -1);
  t.ok(m.value(120_000) >= 0);
  const before = m.value(120_000);
  m.set(100_000, 0.5); // an event stamped earlier than the last one
  t.ok(m.value(120_000) <= 1 && m.value(120_000) >= 0 && Number.isFinite(before));
  t.throws(() => new BusyMeter(0), RangeError);
});
