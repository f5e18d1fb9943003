/**
 * The newer onnxruntime the host prefers over the one onnxruntime-node bundles.
 *
 * onnxruntime-node on npm stops at 1.30.0, but its native binding reaches the runtime only
 * through the stable C API (one symbol, OrtGetApiBase), so it runs on a newer CPU library
 * too: on the genuine Kokoro model 1.32 is 1.9x (one intra-op thread) to 2.2x (two) faster
 * than the bundled 1.30 on the same CPU (bench/runtime.ts; numbers in bench/README.md).
 * The only official Linux x64 build of that library on a registry we can reach is the one
 * inside the Python wheel on PyPI; every CPython tag's wheel carries the same
 * libonnxruntime.so, so one wheel is pinned, by name and SHA-256.
 *
 * To move to a newer release: find its manylinux x86_64 wheel in PyPI's simple index
 *   curl -H 'accept: application/vnd.pypi.simple.v1+json' https://pypi.org/simple/onnxruntime/
 * and copy `url` and `hashes.sha256` here; `npm run runtime:fetch` prepares it.
 */

export const NEWER_RUNTIME = {
  version: '1.32.0',
  wheel: {
    file: 'onnxruntime-1.32.0-cp312-cp312-manylinux_2_28_x86_64.whl',
    url: 'https://files.pythonhosted.org/packages/a3/81/55845186c20cba59f614991f4065dea148e48eeb9749893768c85ce64327/onnxruntime-1.32.0-cp312-cp312-manylinux_2_28_x86_64.whl',
    sha256: '99e1074c4b2197accd5073052a465361be17b89c093b8ffb6e6bd8f986c52df8',
    bytes: 27_780_211,
  },
} as const;

/** The soname both onnxruntime-node's binding and every official Linux build use. */
export const BUNDLED_SONAME = 'libonnxruntime.so.1';

/** Where the wheel keeps the library: `onnxruntime/capi/libonnxruntime.so.<version>`. */
export function wheelLibEntry(version: string): string {
  return `onnxruntime/capi/libonnxruntime.so.${version}`;
}

/** The symbol version the library defines and the binding must ask for: `VERS_<version>`. */
export function versionName(version: string): string {
  return `VERS_${version}`;
}

/**
 * The newer library's own soname (and file name), as long as BUNDLED_SONAME so it can be
 * written over it in place: `libonnxrt-1.32.0.so`. With a soname of its own the newer
 * library can never be taken for the bundled one (the dynamic loader satisfies a
 * DT_NEEDED with any loaded object of that soname, and kokoro-js loads the bundled
 * runtime into every worker thread), and /proc/self/maps says which one is mapped.
 */
export function newerSoname(version: string): string {
  const name = `libonnxrt-${version}.so`;
  if (name.length > BUNDLED_SONAME.length) throw new Error(`no soname for onnxruntime ${version}: ${name} is longer than ${BUNDLED_SONAME}`);
  return name;
}
