/**
 * Finding the `nats-server` executable for `naq dev`, the demo and the tests.
 *
 * @module
 */

const INSTALL_HINT = "Install it with `apt-get install -y nats-server` (Debian, Ubuntu), " +
  "`brew install nats-server` (macOS), or from https://github.com/nats-io/nats-server/releases; " +
  "or point NATS_SERVER_BIN at the executable.";

// Debian installs nats-server into /usr/sbin, which is not on every user's PATH.
const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/bin", "/usr/bin", "/opt/homebrew/bin"];

/** Thrown when no `nats-server` executable can be found; the message says how to install one. */
export class NatsServerNotFoundError extends Error {
  /** @param searched the paths that were looked at */
  constructor(readonly searched: readonly string[]) {
    super(`nats-server is not installed (looked in ${searched.join(", ")}). ${INSTALL_HINT}`);
    this.name = "NatsServerNotFoundError";
  }
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // without --allow-env we can still look in the usual places
  }
}

/**
 * Returns the path of `nats-server`: `NATS_SERVER_BIN` if set, else the first found on
 * `PATH` or in the usual install directories.
 *
 * @returns the executable's path
 * @throws {NatsServerNotFoundError} when there is none
 */
export function findNatsServerBinary(): string {
  const explicit = readEnv("NATS_SERVER_BIN");
  if (explicit) {
    if (isExecutableFile(explicit)) return explicit;
    throw new NatsServerNotFoundError([explicit]);
  }
  const dirs = [...(readEnv("PATH") ?? "").split(":").filter(Boolean), ...FALLBACK_DIRS];
  const candidates = [...new Set(dirs)].map((dir) => `${dir}/nats-server`);
  const found = candidates.find(isExecutableFile);
  if (!found) throw new NatsServerNotFoundError(candidates);
  return found;
}
