/** What a thread runs on, as the worker reports it to the pool (src/shared/protocol.ts). */
export interface RuntimeInfo {
  /** The onnxruntime release of the library in use, e.g. 1.32.0. */
  version: string;
  /** `bundled`: onnxruntime-node's own library; `newer`: a runtime prepared by `npm run runtime:fetch`. */
  source: 'bundled' | 'newer';
  /** The onnxruntime library file mapped into the process. */
  path: string;
  /** Set when a newer runtime was there but could not be used: the host logs a WARNING with it. */
  fallbackReason?: string;
  /** Why the bundled runtime is used when none was prepared, or none applies to this platform. */
  note?: string;
}
