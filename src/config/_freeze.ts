/**
 * Freezes a resolved configuration all the way down, so code that receives it can share it
 * without copying and nothing can change it behind another's back.
 *
 * @module
 */

/** Freezes `value` and everything reachable from it; returns `value`. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
