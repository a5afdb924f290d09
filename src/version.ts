/**
 * naq's version, as `deno.json` states it: what `naq --version` prints and what each worker's
 * registry entry shows.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** This naq's version, such as `0.1.0`. */
export const NAQ_VERSION: string = denoJson.version;
