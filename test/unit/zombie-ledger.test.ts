import t from 'tap';
import type { ZombieInfo } from '../../src/synth/pool-types.ts';
import { ZombieLedger } from '../../src/synth/zombie-ledger.ts';

t.test('once a zombie is escalated, overdue() reports it, whatever the clock reads (readiness agrees with the escalation)', async (t) => {
  let escalated!: (z: ZombieInfo) => void;
  const escalation = new Promise<ZombieInfo>((resolve) => (escalated = resolve));
  const ledger = new ZombieLedger(20, (z) => escalated(z), () => undefined);
  ledger.trackNative(7);
  t.same(ledger.overdue(), [], 'not overdue within its grace');
  // The ledger's timer is unref'd (it never holds a process open): this one keeps the test alive.
  const hold = setTimeout(() => undefined, 5000);
  const zombie = await escalation;
  clearTimeout(hold);
  t.equal(zombie.threadId, 7);
  // A timer can fire a fraction of a millisecond before performance.now() passes the grace;
  // a clock reading from before the grace must not make readiness disagree with the event.
  t.same(ledger.overdue(0).map((z) => z.threadId), [7]);
  ledger.release(7);
  t.same(ledger.overdue(), [], 'released: gone');
});
