/**
 * Payloads are JSON: what a worker's handler gets is what the producer enqueued, or the
 * enqueue fails. `JSON.stringify` alone would drop a function or a symbol, turn `NaN` or a
 * `Date` into something else, and return no text at all for a lone function.
 *
 * @module
 */

/**
 * Checks that `payload` travels through JSON unchanged: `JSON.parse(JSON.stringify(payload))`
 * gives back an equal value. It may hold `null`, booleans, strings, finite numbers, arrays of
 * such values, and plain objects (`{}` or `Object.create(null)`) of them.
 *
 * Two changes that JSON makes are allowed, as neither can be told apart by a handler reading
 * the payload: an object's property whose value is `undefined` is left out (reading it still
 * gives `undefined`), and `-0` comes back as `0`.
 *
 * @param payload the value to check
 * @param what how the message names the value, such as `payload`
 * @throws {TypeError} naming the first value found that JSON cannot carry, where it is (such
 *   as `payload.items[2].run`), and what to send instead: a function, symbol, BigInt,
 *   `undefined` (on its own or in an array), a hole in an array, `NaN` or `±Infinity`, a cycle,
 *   or an object that is not plain (a `Date`, `Map`, `Set`, typed array, class instance …)
 *
 * @example Refuse a function nested in a payload
 * ```ts
 * import { checkPayload } from "./payload.ts";
 * import { throws } from "node:assert/strict";
 *
 * checkPayload({ to: "a@example.com", tags: ["x"] });
 * throws(() => checkPayload({ run: () => 1 }), /payload\.run is a function/);
 * ```
 */
export function checkPayload(payload: unknown, what = "payload"): void {
  const problem = findProblem(payload, { path: what, in: "top", ancestors: new Map() });
  if (problem) {
    throw new TypeError(`Cannot enqueue as the payload cannot be sent as JSON: ${problem}`);
  }
}

/** Where a value is: its path, what holds it, and the objects and arrays it is inside. */
interface Place {
  readonly path: string;
  readonly in: "top" | "array" | "object";
  /** Each object or array the value is inside, with its path; shared, and kept as deep. */
  readonly ancestors: Map<object, string>;
}

// what JSON.stringify does with a value it cannot write, by what holds the value
const LOST = { top: "cannot hold", array: "turns into null", object: "leaves out" } as const;

function findProblem(value: unknown, place: Place): string | undefined {
  const { path } = place;
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value)
        ? undefined
        : `${path} is ${value}, which JSON turns into null; send a finite number, or null`;
    case "bigint":
      return `${path} is a BigInt (${value}n), which JSON cannot hold; send it as a string, ` +
        `such as "${value}"`;
    case "undefined":
      return `${path} is undefined, which JSON ${LOST[place.in]}; send null`;
    case "function":
      return `${path} is a function, which JSON ${LOST[place.in]}; send data, and keep the ` +
        `code in the task`;
    case "symbol":
      return `${path} is a symbol (${String(value)}), which JSON ${LOST[place.in]}; ` +
        `send a string`;
  }
  if (value === null) return undefined;
  const object = value as object;
  const { ancestors } = place;
  const outer = ancestors.get(object);
  if (outer !== undefined) {
    return `${path} refers back to ${outer} (a cycle), which JSON cannot hold; ` +
      `send a tree, with ids where one part refers to another`;
  }
  // the same object twice, but not inside itself, is written out twice: no cycle
  ancestors.set(object, path);
  try {
    return Array.isArray(object)
      ? arrayProblem(object, path, ancestors)
      : objectProblem(object, path, ancestors);
  } finally {
    ancestors.delete(object);
  }
}

function objectProblem(
  object: object,
  path: string,
  ancestors: Map<object, string>,
): string | undefined {
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    return `${path} is ${kindOf(object)}, which JSON does not give back as it was; ` +
      `${insteadOf(object)}`;
  }
  const symbol = Object.getOwnPropertySymbols(object)
    .find((key) => Object.prototype.propertyIsEnumerable.call(object, key));
  if (symbol) {
    return `${path} has a property keyed by ${String(symbol)}, which JSON leaves out; ` +
      `key it by a string`;
  }
  for (const [key, item] of Object.entries(object)) {
    // a property left undefined is left out, and reads back as undefined: the same payload
    if (item === undefined) continue;
    const problem = findProblem(item, { path: path + propertyPath(key), in: "object", ancestors });
    if (problem) return problem;
  }
  return undefined;
}

function arrayProblem(
  array: readonly unknown[],
  path: string,
  ancestors: Map<object, string>,
): string | undefined {
  for (let i = 0; i < array.length; i++) {
    if (!(i in array)) {
      return `${path}[${i}] is a hole in the array, which JSON turns into null; send null`;
    }
    const problem = findProblem(array[i], { path: `${path}[${i}]`, in: "array", ancestors });
    if (problem) return problem;
  }
  const extra = Object.keys(array).find((key) => !/^(0|[1-9]\d*)$/.test(key));
  if (extra !== undefined) {
    return `${path} has a property ${JSON.stringify(extra)} besides its elements, which JSON ` +
      `leaves out; send an object holding the array and the property`;
  }
  return undefined;
}

/** `.name` or `["odd key"]`, as JavaScript would write the access. */
function propertyPath(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function kindOf(object: object): string {
  if (object instanceof Date) return "a Date";
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    return `a boxed ${object.constructor.name}`;
  }
  if (object instanceof Map) return "a Map";
  if (object instanceof Set) return "a Set";
  if (ArrayBuffer.isView(object)) return `a ${object.constructor.name}`;
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== ""
    ? `an instance of ${name}`
    : "an object with a prototype other than Object's";
}

function insteadOf(object: object): string {
  if (object instanceof Date) {
    return "send its toISOString() (or getTime()) and make a Date of it in the handler";
  }
  if (object instanceof Map) return "send Object.fromEntries(map), or [...map] as pairs";
  if (object instanceof Set) return "send [...set]";
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    return "send its valueOf(), the primitive";
  }
  if (ArrayBuffer.isView(object)) return "send an array of numbers, or a base64 string";
  return "send a plain object with its data";
}
