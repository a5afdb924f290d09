/**
 * Debian bookworm's nats-server 2.9.10, older than naq supports, for the tests that show naq
 * refusing it. Fetched into naq's cache once, as the install tool fetches a new one.
 *
 * @module
 */
import { natsServerCacheDir } from "../../src/dev/nats_server_binary.ts";
import { cannotFetchFromDebian, fetchDebianNatsServer } from "../../tools/_debian_nats_server.ts";

/** The path of nats-server 2.9.10, or why it cannot be had on this machine. */
export async function oldNatsServerBinary(): Promise<{ path: string } | { why: string }> {
  const cached = `${natsServerCacheDir()}/2.9.10/nats-server`;
  try {
    await Deno.stat(cached);
    return { path: cached };
  } catch {
    const why = cannotFetchFromDebian();
    if (why) return { why };
    return { path: await fetchDebianNatsServer(() => {}, "bookworm") };
  }
}
