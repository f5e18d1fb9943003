/**
 * espeak-ng compiled to WebAssembly (the `espeak-ng` npm package: the espeak-ng program with
 * every language's data embedded), run as its command line is: one fresh instance per call.
 *
 * The build exports only `main`, so an instance cannot be reused (getopt's state, the
 * library's globals); what we can share is the compiled module. It is compiled on first use,
 * never at worker start, so English-only hosts pay nothing (bench/g2p-memory.ts measures it).
 * Worker threads only: compiling and running are blocking work.
 */
import { readFile } from 'node:fs/promises';
import ESpeakNg from 'espeak-ng';

const WASM_URL = new URL('./espeak-ng.wasm', import.meta.resolve('espeak-ng'));
const INPUT = '/tmp/input.txt';
const OUTPUT = '/tmp/phonemes.txt';

/** The slice of the WebAssembly API used here (the build's lib has no WebAssembly types). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
}
type WasmModule = object;
interface WasmInstance {
  exports: object;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: Promise<WasmModule> | undefined;

function wasmModule(): Promise<WasmModule> {
  compiled ??= readFile(WASM_URL).then((bytes) => wasm.compile(bytes));
  // A failed compile is not cached: the next call retries.
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

interface EspeakInstance {
  FS: { writeFile(path: string, data: string): void; readFile(path: string, opts: { encoding: 'utf8' }): string };
}

/**
 * The IPA espeak-ng writes for `text` read as `voice` (an espeak voice such as `fr-fr`), with
 * `^` joining the letters of one phoneme, exactly as `espeak-ng -q --ipa --tie=^ -v <voice> -f <file>`
 * prints it: one line per clause, words separated by spaces.
 */
export async function espeakIpa(text: string, voice: string): Promise<string> {
  const module = await wasmModule();
  const errors: string[] = [];
  const options = {
    // The text goes in a file, not argv: no option parsing of user text, and no length limit.
    arguments: ['-q', '-b', '1', '--ipa', '--tie=^', '--phonout', OUTPUT, '-v', voice, '-f', INPUT],
    preRun: [(m: EspeakInstance) => m.FS.writeFile(INPUT, text)],
    print: () => {},
    printErr: (line: string) => errors.push(line),
    instantiateWasm: (imports: object, done: (instance: WasmInstance, module: WasmModule) => void) => {
      const instance = new wasm.Instance(module, imports);
      done(instance, module);
      return instance.exports;
    },
  };
  // Start-up copies espeak's data files into an in-memory file system, and creating each
  // parent directory again throws an error whose stack trace is captured: most of a call's
  // cost (673 -> 419 ms median per call, measured on a loaded machine). A worker runs one
  // task at a time, so nothing else of ours runs meanwhile; the limit is restored after.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let run: EspeakInstance;
  try {
    run = (await ESpeakNg(options)) as EspeakInstance;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  try {
    return run.FS.readFile(OUTPUT, { encoding: 'utf8' });
  } catch {
    throw new Error(`espeak-ng (${voice}) wrote no phonemes${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`);
  }
}
