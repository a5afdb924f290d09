/**
 * Debian bookworm's nats-server 2.9.10, older than naq supports, for the tests that show naq
 * refusing it. Fetched into naq's cache once, as the install tool fetches a new one.
 *
 * @module
 */
import { natsServerCacheDir } from "../../src/dev/nats_server_binary.ts";
import { cannotFetchFromDebian, fetchDebianNatsServer } from "../../tools/_debian_nats_server.ts";

/** Why nats-server 2.9.10 cannot be had on this machine, or undefined when it can. */
export const cannotHaveOldNatsServer = cannotFetchFromDebian;

/**
 * The path of nats-server 2.9.10, fetched when not cached yet.
 *
 * @throws {Error} when the fetch fails
 */
export async function oldNatsServerBinary(): Promise<string> {
  const cached = `${natsServerCacheDir()}/2.9.10/nats-server`;
  try {
    await Deno.stat(cached);
    return cached;
  } catch {
    return (await fetchDebianNatsServer(() => {}, "bookworm")).path;
  }
}
