/**
 * What every gateway route needs, built once by buildApp and passed explicitly.
 */
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { Lexicon } from '../pronunciation/lexicon.ts';
import type { SynthPoolHandle } from '../synth/pool-types.ts';
import type { Synthesizer } from '../synth/types.ts';
import type { EventLoopMonitor } from './eventloop.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { WsAdmission } from './socket/admission.ts';

/** Every audio frame and stream the gateway emits is mono PCM at Kokoro's native rate. */
export const OUTPUT_SAMPLE_RATE = 24000;

export interface GatewayContext {
  readonly config: Config;
  /** The local pool: health, per-owner cancel, close. */
  readonly pool: SynthPoolHandle;
  /** What turns synthesize through: the router when an upstream fallback is configured, else the pool. */
  readonly synth: Synthesizer;
  /** The router's breaker state, when there is a router. */
  readonly routerState?: () => unknown;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  /** The host-wide WebSocket connection cap and live-session bookkeeping, shared by every WebSocket route. */
  readonly admission: WsAdmission;
  readonly eventLoop: EventLoopMonitor;
  /** The user's lexicon (KOKORO_LEXICON), when configured; reloaded on SIGHUP. */
  readonly lexicon?: Lexicon;
}
