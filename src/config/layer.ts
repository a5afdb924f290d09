/**
 * A layer is the settings one source gave (the file, the environment, the overrides),
 * kept apart until validated so that every problem and every value can be traced back
 * to where it was written.
 *
 * @module
 */

/** Where a setting was written. */
export type Where =
  | { readonly kind: "file"; readonly file: string; readonly line: number; readonly column: number }
  | { readonly kind: "env"; readonly name: string; readonly raw: string }
  | { readonly kind: "override" }
  | { readonly kind: "input" };

/** The settings from one source, and how to locate each of them. */
export interface Layer {
  /** The settings as written (durations still strings), a deep partial configuration. */
  readonly value: Record<string, unknown>;
  /** Where the key (`"key"`) or the value (`"value"`) at `path` was written. */
  where(path: readonly PropertyKey[], part: "key" | "value"): Where;
}

/** A layer whose every setting comes from the same place, such as the overrides. */
export function plainLayer(value: Record<string, unknown>, where: Where): Layer {
  return { value, where: () => where };
}

/** How `naq config show` names where a value came from. */
export function sourceLabel(where: Where): string {
  switch (where.kind) {
    case "file":
      return `${where.file}:${where.line}`;
    case "env":
      return `env ${where.name}`;
    default:
      return where.kind;
  }
}

/** True for `{...}` objects, which layers merge key by key; arrays are replaced whole. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value at `path` in `root`.
 *
 * @returns `undefined` when some key on the way is missing
 */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (isPlainObject(current)) current = current[key as string];
    else if (Array.isArray(current) && typeof key === "number") current = current[key];
    else return undefined;
  }
  return current;
}

/** Sets `value` at `path` in `root`, creating objects on the way. */
export function setAt(
  root: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  let current = root;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[path[path.length - 1]] = value;
}

/**
 * Merges layers, later ones winning: objects merge key by key, anything else (lists
 * included) replaces; `undefined` never replaces.
 */
export function mergeLayers(values: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const value of values) mergeInto(out, value);
  return out;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (isPlainObject(value)) {
      if (!isPlainObject(target[key])) target[key] = {};
      mergeInto(target[key] as Record<string, unknown>, value);
    } else {
      target[key] = value;
    }
  }
}

/**
 * The topmost layer that set `path`, or else the topmost that set the closest enclosing
 * mapping, so a problem raised by the merged configuration is reported where it was written.
 */
export function layerAt(layers: readonly Layer[], path: readonly PropertyKey[]): Layer | undefined {
  for (let length = path.length; length > 0; length--) {
    const prefix = path.slice(0, length);
    const found = layers.findLast((layer) => valueAt(layer.value, prefix) !== undefined);
    if (found) return found;
  }
  return layers.at(-1);
}
