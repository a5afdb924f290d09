/**
 * Validates layers against the schema and turns zod's issues into problems that say where
 * each bad value was written.
 *
 * Each layer is validated on its own first, so a bad value is reported even when a later
 * layer overrides it; then the merged layers, for rules that span layers (a backoff type
 * from one source, its delays from another).
 *
 * @module
 */
import type { z } from "zod";
import { ConfigError } from "../errors.ts";
import { deepFreeze } from "./_freeze.ts";
import { keysAt, leaves } from "./_walk.ts";
import { type ConfigProblem, describeValue, formatProblems } from "./errors/format.ts";
import { suggestKey } from "./errors/suggest.ts";
import { type Layer, layerAt, mergeLayers, type Where } from "./layer.ts";
import { configSchema, CROSS_FIELD } from "./schema.ts";
import type { NaqConfig } from "./types.ts";

/**
 * Validates `layers` (lowest precedence first) and resolves them into one configuration.
 *
 * @param layers the settings of each source
 * @param earlier problems already found while reading the sources, reported together
 * @returns the resolved configuration, deeply frozen
 * @throws {ConfigError} listing every problem found
 */
export function validateLayers(
  layers: readonly Layer[],
  earlier: readonly ConfigProblem[] = [],
): NaqConfig {
  const problems = [...earlier];
  // a value already refused as read (`heartbeat: 5` in a file) is not refused again by the
  // schema (as 5 ms, too short)
  const spot = (path: readonly PropertyKey[], where: Where) =>
    JSON.stringify([path.map(String), where]);
  const refused = new Set(earlier.map((problem) => spot(problem.path, problem.where)));
  for (const layer of layers) {
    const result = configSchema.safeParse(layer.value, { reportInput: true });
    for (const issue of result.error?.issues ?? []) {
      if (isCrossField(issue) || refused.has(spot(issue.path, layer.where(issue.path, "value")))) {
        continue;
      }
      problems.push(...toProblems(issue, () => layer));
    }
  }
  const perLayer = problems.length > 0;
  const merged = mergeLayers(layers.map((layer) => layer.value));
  const result = configSchema.safeParse(merged, { reportInput: true });
  for (const issue of result.error?.issues ?? []) {
    // Other issues of the merged layers were already reported against their own layer.
    if (isCrossField(issue) || !perLayer) {
      problems.push(...toProblems(issue, (path) => layerAt(layers, path)));
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(formatProblems(problems));
  return deepFreeze(result.data as NaqConfig);
}

function isCrossField(issue: z.core.$ZodIssue): boolean {
  return issue.code === "custom" && issue.params?.[CROSS_FIELD] === true;
}

const NO_LAYER: Layer = { value: {}, where: () => ({ kind: "input" }) };

function toProblems(
  issue: z.core.$ZodIssue,
  layerFor: (path: readonly PropertyKey[]) => Layer | undefined,
): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const where = (layerFor(path) ?? NO_LAYER).where(path, "key");
      return { where, path, message: `unknown key; ${hintFor(key, issue.path)}` };
    });
  }
  const where = (layerFor(issue.path) ?? NO_LAYER).where(
    issue.path,
    issue.code === "invalid_key" ? "key" : "value",
  );
  const expected = issue.code === "invalid_key"
    ? issue.issues[0]?.message ?? issue.message
    : issue.message;
  const got = "input" in issue ? `, got ${describeValue(issue.input)}` : "";
  return [{ where, path: issue.path, message: expected + got }];
}

/** "did you mean" a key valid here, or one valid elsewhere, or else the list of valid keys. */
function hintFor(key: string, parent: readonly PropertyKey[]): string {
  const here = keysAt(parent);
  const near = suggestKey(key, here);
  if (near !== undefined) return `did you mean "${near}"?`;
  const paths = leaves().map((leaf) => leaf.path.join("."));
  const elsewhere = suggestKey(key, leaves().map((leaf) => leaf.path.at(-1)!));
  const full = elsewhere &&
    paths.find((path) => path.endsWith(`.${elsewhere}`) || path === elsewhere);
  if (full !== undefined) return `did you mean "${full}"?`;
  return here.length > 0 ? `expected one of ${here.join(", ")}` : "this mapping takes no keys";
}
