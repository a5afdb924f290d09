import type { z } from "zod";
import type { configSchema } from "../../src/config/schema.ts";
import type { ConfigInput, NaqConfig } from "../../src/config/mod.ts";

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// The check is the type checker's: `deno test` (and `deno check`) refuses to run this file
// when the hand-written types drift from the schema. At run time there is nothing to assert.
Deno.test("the hand-written types match the schema", () => {
  const outputMatches: Same<DeepReadonly<z.output<typeof configSchema>>, NaqConfig> = true;
  const inputMatches: Same<z.input<typeof configSchema>, ConfigInput> = true;
  void [outputMatches, inputMatches];
});
