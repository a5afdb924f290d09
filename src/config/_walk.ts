/**
 * Walks the configuration schema, so that everything derived from it (environment
 * variable names, "did you mean" candidates, how to read and print a leaf) follows the
 * schema instead of a list kept by hand.
 *
 * @module
 */
import type { z } from "zod";
import { type LeafKind, leafKindOf } from "./_leaves.ts";
import { configSchema } from "./schema.ts";

/** A leaf of the schema outside `queues`, with its kind. */
export interface Leaf {
  /** The keys from the top, such as `["nats", "connectTimeout"]`. */
  readonly path: readonly string[];
  /** How the leaf's value is read from a string and printed. */
  readonly kind: LeafKind;
}

// deno-lint-ignore no-explicit-any
type Def = any;

const WRAPPERS = new Set(["optional", "prefault", "default", "nullable", "readonly"]);

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (leafKindOf(current) === undefined) {
    const def: Def = current._zod.def;
    if (WRAPPERS.has(def.type)) current = def.innerType;
    else if (def.type === "pipe") current = def.in;
    else break;
  }
  return current;
}

function child(schema: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const def: Def = unwrap(schema)._zod.def;
  switch (def.type) {
    case "object":
      return Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
    case "record":
      return def.valueType;
    case "array":
      return def.element;
    default:
      return undefined;
  }
}

function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = configSchema;
  for (const key of path) {
    if (current === undefined) return undefined;
    current = child(current, key);
  }
  return current;
}

/**
 * The kind of the leaf at `path`, such as `"duration"` for `["queues", "q", "ackWait"]`.
 *
 * @returns `undefined` when `path` does not name a leaf
 */
export function leafKindAt(path: readonly PropertyKey[]): LeafKind | undefined {
  const schema = schemaAt(path);
  return schema && leafKindOf(unwrap(schema));
}

/**
 * The keys valid in the mapping at `path`.
 *
 * @returns an empty list when `path` does not name a mapping with fixed keys
 */
export function keysAt(path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(path);
  if (schema === undefined) return [];
  const def: Def = unwrap(schema)._zod.def;
  return def.type === "object" ? Object.keys(def.shape) : [];
}

/** Every leaf of the schema outside `queues` (whose keys are the user's queue names). */
export function leaves(): readonly Leaf[] {
  return cachedLeaves ??= collect(configSchema, []);
}

let cachedLeaves: readonly Leaf[] | undefined;

function collect(schema: z.ZodType, path: string[]): Leaf[] {
  const inner = unwrap(schema);
  const kind = leafKindOf(inner);
  if (kind !== undefined) return [{ path, kind }];
  const def: Def = inner._zod.def;
  if (def.type !== "object") return [];
  return Object.entries(def.shape as Record<string, z.ZodType>)
    .flatMap(([key, value]) => collect(value, [...path, key]));
}
