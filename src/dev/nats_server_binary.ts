/**
 * Finding a `nats-server` executable new enough for naq, for `naq dev`, the demo and the
 * tests. `tools/nats_server.ts` fetches one into the cache when none is found.
 *
 * @module
 */
import {
  compareServerVersions,
  isSupportedServerVersion,
  MIN_NATS_SERVER_VERSION,
  type ServerVersion,
  tryParseServerVersion,
} from "../core/server_version.ts";

// Debian installs nats-server into /usr/sbin, which is not on every user's PATH
const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/bin"];

/** A `nats-server` executable and the version it reports. */
export interface NatsServerBinary {
  /** The executable's path. */
  readonly path: string;
  /** Such as `"2.15.1"`. */
  readonly version: string;
}

/** Thrown when no new enough `nats-server` is found; the message lists what was seen. */
export class NatsServerNotFoundError extends Error {
  /**
   * @param searched each place looked at, with what was wrong there
   * @param explicit whether `NATS_SERVER_BIN` chose the one place to look
   */
  constructor(readonly searched: readonly string[], readonly explicit: boolean) {
    super(
      `No nats-server ${MIN_NATS_SERVER_VERSION} or newer was found ` +
        `(${searched.join("; ")}). ${explicit ? EXPLICIT_HINT : INSTALL_HINT}`,
    );
    this.name = "NatsServerNotFoundError";
  }
}

const INSTALL_HINT = "Install one with `brew install nats-server` (macOS) or from " +
  "https://github.com/nats-io/nats-server/releases, or, in a checkout of naq on Debian, run " +
  "`deno task nats-server` to fetch Debian's build into naq's cache; or set NATS_SERVER_BIN " +
  "to the executable.";
const EXPLICIT_HINT = "NATS_SERVER_BIN names the only server looked at: point it at a " +
  `nats-server of ${MIN_NATS_SERVER_VERSION} or newer, or unset it to have naq look on PATH ` +
  "and in its cache.";

/**
 * naq's own cache of fetched servers: `$XDG_CACHE_HOME/naq/nats-server`, else
 * `~/.cache/naq/nats-server`; undefined when neither variable is set or readable.
 */
export function natsServerCacheDir(): string | undefined {
  const base = readEnv("XDG_CACHE_HOME") ||
    (readEnv("HOME") ? `${readEnv("HOME")}/.cache` : undefined);
  return base ? `${base}/naq/nats-server` : undefined;
}

/**
 * Returns the first `nats-server` of at least {@linkcode MIN_NATS_SERVER_VERSION}: the one
 * `NATS_SERVER_BIN` names when set (and no other), else the first on `PATH`, in `/usr/sbin`,
 * in `/usr/local/bin`, then the newest in {@linkcode natsServerCacheDir}.
 *
 * @returns the executable and its version
 * @throws {NatsServerNotFoundError} when none is new enough
 */
export function findNatsServerBinary(): Promise<NatsServerBinary> {
  // a test run starts hundreds of servers: look once per process, until something is found
  found ??= search().catch((err) => {
    found = undefined;
    throw err;
  });
  return found;
}

let found: Promise<NatsServerBinary> | undefined;

async function search(): Promise<NatsServerBinary> {
  const explicit = readEnv("NATS_SERVER_BIN");
  const seen: string[] = [];
  for (const path of candidatePaths(explicit)) {
    const version = await reportedVersion(path);
    if (typeof version === "string") {
      seen.push(`${path}: ${version}`);
    } else if (!isSupportedServerVersion(version.join("."))) {
      seen.push(`${path}: ${version.join(".")}, too old`);
    } else {
      return { path, version: version.join(".") };
    }
  }
  if (seen.length === 0) {
    const cache = natsServerCacheDir() ??
      "naq's cache (neither XDG_CACHE_HOME nor HOME is set, or readable)";
    seen.push(`PATH, ${FALLBACK_DIRS.join(", ")} and ${cache}: none there`);
  }
  throw new NatsServerNotFoundError(seen, explicit !== undefined);
}

function candidatePaths(explicit: string | undefined): string[] {
  if (explicit) return [explicit];
  const dirs = [...(readEnv("PATH") ?? "").split(":").filter(Boolean), ...FALLBACK_DIRS];
  const onPath = [...new Set(dirs)].map((dir) => `${dir}/nats-server`).filter(isExecutableFile);
  return [...onPath, ...cachedPaths()];
}

/** The cached servers, newest first: `<cache>/<version>/nats-server`. */
function cachedPaths(): string[] {
  const cache = natsServerCacheDir();
  if (!cache) return [];
  try {
    return [...Deno.readDirSync(cache)]
      .map((entry) => ({ name: entry.name, version: tryParseServerVersion(entry.name) }))
      .filter((entry) => entry.version !== undefined)
      .sort((a, b) => compareServerVersions(b.version!, a.version!))
      .map((entry) => `${cache}/${entry.name}/nats-server`)
      .filter(isExecutableFile);
  } catch {
    return []; // no cache yet
  }
}

/**
 * The version `path --version` reports, or what kept it from reporting one.
 *
 * @param path the executable
 * @returns the version, or a reason such as "not there"
 */
export async function reportedVersion(path: string): Promise<ServerVersion | string> {
  if (!isExecutableFile(path)) return "not there";
  try {
    const { success, stdout, stderr } = await new Deno.Command(path, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const version = tryParseServerVersion(new TextDecoder().decode(stdout));
    if (success && version) return version;
    const said = new TextDecoder().decode(stderr).trim().split("\n")[0];
    return `reports no version${said ? ` (${said})` : ""}`;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return `not allowed to run it (grant --allow-run=${path})`;
    }
    return `does not run (${err instanceof Error ? err.message : err})`;
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
