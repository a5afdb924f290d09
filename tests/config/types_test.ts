import assert from "node:assert/strict";
import type { z } from "zod";
import type { configSchema } from "../../src/config/schema.ts";
import type { ConfigInput, NaqConfig } from "../../src/config/mod.ts";

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// These fail `deno check` when the hand-written types drift from the schema.
const outputMatches: Same<DeepReadonly<z.output<typeof configSchema>>, NaqConfig> = true;
const inputMatches: Same<z.input<typeof configSchema>, ConfigInput> = true;

Deno.test("the hand-written types match the schema", () => {
  assert.ok(outputMatches && inputMatches);
});
