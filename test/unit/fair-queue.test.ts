import t from 'tap';
import { FairQueue } from '../../src/synth/fair-queue.ts';

t.test('round-robin across owners, FIFO within an owner', async (t) => {
  const q = new FairQueue<string>(100);
  for (let i = 0; i < 4; i++) q.push('long', `L${i}`);
  q.push('b', 'B0');
  q.push('c', 'C0');
  q.push('b', 'B1');
  const order: string[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) order.push(item);
  t.same(order, ['L0', 'B0', 'C0', 'L1', 'B1', 'L2', 'L3']);
  t.equal(q.size, 0);
});

t.test('bounded: a full queue refuses and queues nothing', async (t) => {
  const q = new FairQueue<number>(2);
  t.ok(q.push('a', 1));
  t.ok(q.push('b', 2));
  t.notOk(q.push('a', 3));
  t.equal(q.size, 2);
  t.ok(q.push('a', 0, { front: true }), 'a retry goes in front even when full');
  t.same([q.shift(), q.shift(), q.shift(), q.shift()], [0, 2, 1, undefined]);
});

t.test('remove and removeOwner keep the rotation intact', async (t) => {
  const q = new FairQueue<string>(100);
  ['a1', 'a2'].forEach((x) => q.push('a', x));
  ['b1', 'b2'].forEach((x) => q.push('b', x));
  ['c1'].forEach((x) => q.push('c', x));
  t.ok(q.remove('b', 'b1'));
  t.notOk(q.remove('b', 'nope'));
  t.same(q.removeOwner('c'), ['c1']);
  t.same(q.removeOwner('zzz'), []);
  t.equal(q.size, 3);
  t.same([q.shift(), q.shift(), q.shift(), q.shift()], ['a1', 'b2', 'a2', undefined]);
  q.push('x', 'x1');
  t.same(q.removeAll(), ['x1']);
  t.equal(q.size, 0);
});

t.test('urgent items (what a listener waits on) go before every look-ahead item, fair among themselves', async (t) => {
  const q = new FairQueue<string>(100);
  for (let i = 1; i <= 3; i++) q.push('turnA', `A${i}`);
  q.push('turnB', 'B0', { lane: 'urgent' });
  q.push('turnC', 'C0', { lane: 'urgent' });
  q.push('turnB', 'B1');
  q.push('turnC', 'C1', { lane: 'urgent' });
  const order: string[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) order.push(item);
  t.same(order, ['B0', 'C0', 'C1', 'A1', 'B1', 'A2', 'A3']);
});

t.test('both lanes share the capacity; remove and removeOwner reach both', async (t) => {
  const q = new FairQueue<string>(3);
  t.ok(q.push('a', 'a-ahead'));
  t.ok(q.push('a', 'a-now', { lane: 'urgent' }));
  t.ok(q.push('b', 'b-now', { lane: 'urgent' }));
  t.notOk(q.push('c', 'c-now', { lane: 'urgent' }), 'full, whatever the lane');
  t.equal(q.size, 3);
  t.ok(q.remove('b', 'b-now'));
  t.same(q.removeOwner('a'), ['a-now', 'a-ahead']);
  t.equal(q.size, 0);
  t.equal(q.shift(), undefined);
});

t.test('look-ahead has slack, not none: a normal item that has waited slackMs goes before newer urgent ones', async (t) => {
  let now = 0;
  const q = new FairQueue<string>(100, 2000, () => now);
  q.push('turnA', 'A1');
  now = 1999;
  q.push('turnB', 'B0', { lane: 'urgent' });
  t.equal(q.shift(), 'B0', 'within its slack, look-ahead yields');
  q.push('turnC', 'C0', { lane: 'urgent' });
  now = 2000;
  q.push('turnD', 'D0', { lane: 'urgent' });
  t.equal(q.shift(), 'A1', 'past its slack it goes first: a stream of new turns cannot starve it');
  t.same([q.shift(), q.shift()], ['C0', 'D0']);
});
