// The status line: the host's readiness, workers, queue and model, from /readyz.

const $ = (id) => document.getElementById(id);
const STATUS_EVERY_MS = 5000;

export async function refreshStatus() {
  try {
    const res = await fetch('/readyz', { cache: 'no-store' });
    const body = await res.json();
    const pool = body.pool ?? {};
    const parts = [
      body.ready ? 'ready' : `not ready: ${body.reasons.join(', ')}`,
      `workers ${pool.loaded_workers ?? 0}/${pool.plan?.workers ?? '?'}`,
      `busy ${pool.busy_workers ?? 0}`,
      `queue ${pool.queue_depth ?? 0}`,
      `model ${body.model?.file ?? '?'}`,
    ];
    if (body.onnxruntime) parts.push(`onnxruntime ${body.onnxruntime.version}`);
    $('status').textContent = parts.join(' · ');
    $('status').classList.toggle('not-ready', !body.ready);
    $('synthetic-banner').hidden = body.model?.synthetic !== true;
  } catch {
    $('status').textContent = 'the host does not answer';
    $('status').classList.add('not-ready');
  }
}

export function keepStatusFresh() {
  // No push channel for readiness exists: a slow refresh while the tab is visible.
  const tick = async () => {
    if (!document.hidden) await refreshStatus();
    setTimeout(tick, STATUS_EVERY_MS);
  };
  void tick();
}
