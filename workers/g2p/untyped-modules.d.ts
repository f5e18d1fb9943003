// Packages that ship no types; the front ends declare the shapes they use where they use them.
declare module 'espeak-ng' {
  const ESpeakNg: (moduleArg: Record<string, unknown>) => Promise<unknown>;
  export default ESpeakNg;
}
declare module 'kuromoji' {
  const kuromoji: { builder(options: { dicPath: string }): { build(done: (err: Error | null, tokenizer: unknown) => void): void } };
  export default kuromoji;
}
