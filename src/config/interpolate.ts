/**
 * `${VAR}` and `${VAR:-default}` in YAML string values. Applied to each scalar after the
 * YAML is parsed, so an injected value can never add keys or change the file's structure.
 *
 * @module
 */

/** The outcome of interpolating one string. */
export type Interpolated =
  | { readonly ok: true; readonly value: string; readonly changed: boolean }
  | { readonly ok: false; readonly missing: string }
  | { readonly ok: false; readonly missing?: undefined; readonly malformed: string };

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in `text`; `$${` stands for a literal `${`.
 * As in the shell, `:-` uses the default when the variable is unset or empty.
 *
 * @param text a string value from the YAML file
 * @param get reads one environment variable
 * @returns the new text, or the first variable that is missing or reference that is malformed
 *
 * @example Fall back to a default
 * ```ts
 * import { interpolate } from "./interpolate.ts";
 * interpolate("nats://${HOST:-localhost}:4222", () => undefined);
 * // { ok: true, value: "nats://localhost:4222", changed: true }
 * ```
 */
export function interpolate(text: string, get: (name: string) => string | undefined): Interpolated {
  if (!text.includes("${")) return { ok: true, value: text, changed: false };
  let out = "";
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    out += text.slice(last, match.index);
    last = match.index + match[0].length;
    if (match[0] === "$${") {
      out += "${";
      continue;
    }
    if (match[1] === undefined) {
      return { ok: false, malformed: `unterminated "\${" in ${JSON.stringify(text)}` };
    }
    const [name, fallback] = splitDefault(match[1]);
    if (!NAME.test(name)) {
      return {
        ok: false,
        malformed: `"\${${match[1]}}" is not a variable reference; ` +
          `write \${NAME} or \${NAME:-default}, or $\${ for a literal "\${"`,
      };
    }
    const value = get(name);
    if (fallback !== undefined && (value === undefined || value === "")) out += fallback;
    else if (value !== undefined) out += value;
    else return { ok: false, missing: name };
  }
  return { ok: true, value: out + text.slice(last), changed: true };
}

function splitDefault(inner: string): [string, string | undefined] {
  const at = inner.indexOf(":-");
  return at < 0 ? [inner.trim(), undefined] : [inner.slice(0, at).trim(), inner.slice(at + 2)];
}
