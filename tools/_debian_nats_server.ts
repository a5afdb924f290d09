/**
 * Fetches Debian's newest `nats-server` package into naq's cache, as any user, without sudo
 * and without touching the system's apt configuration: apt gets a configuration, a sources
 * list, package lists and a download cache of our own, then `dpkg-deb -x` unpacks it.
 *
 * Why Debian's `sid` suite: bookworm ships 2.9.10, too old for naq, and sid's build runs on
 * any Debian or Ubuntu with glibc 2.34 or newer (bookworm, Ubuntu 22.04 and later).
 *
 * @module
 */
import { natsServerCacheDir, reportedVersion } from "../src/dev/nats_server_binary.ts";

const DEBIAN_MIRROR = "http://deb.debian.org/debian";
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
// a fetch killed halfway leaves its work directory; the next fetch removes those this old
const STALE_FETCH_MS = 60 * 60 * 1_000;

/** Why this machine cannot fetch Debian's package, or undefined when it can. */
export function cannotFetchFromDebian(): string | undefined {
  if (Deno.build.os !== "linux") return `this is ${Deno.build.os}, not Debian or Ubuntu`;
  if (!exists("/usr/bin/apt-get") || !exists("/usr/bin/dpkg-deb")) {
    return "apt-get and dpkg-deb are not installed (this is not Debian or Ubuntu)";
  }
  if (!exists(DEBIAN_KEYRING)) {
    return `Debian's archive key (${DEBIAN_KEYRING}, package debian-archive-keyring) is not ` +
      `installed, so Debian's packages cannot be verified here`;
  }
  if (!natsServerCacheDir()) return "neither XDG_CACHE_HOME nor HOME is set";
  return undefined;
}

/**
 * Downloads and unpacks the `nats-server` of a Debian suite into
 * `<cache>/<version>/nats-server`, once it has shown that it runs here.
 *
 * @param log told of each step
 * @param suite `sid` for the newest build; the tests take `bookworm`'s 2.9.10 to see that naq
 *   refuses a server that old
 * @returns the executable's path and version
 * @throws {Error} quoting apt's own output when a step fails, or the binary's when it does
 *   not run here
 */
export async function fetchDebianNatsServer(
  log: (line: string) => void,
  suite = "sid",
): Promise<{ path: string; version: string }> {
  const cache = natsServerCacheDir()!;
  await Deno.mkdir(cache, { recursive: true });
  await removeStaleFetches(cache);
  const work = await Deno.makeTempDir({ dir: cache, prefix: ".fetch-" });
  // a Ctrl-C or SIGTERM must not leave the work directory, nor apt running without us
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort(new Error("interrupted"));
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, onSignal);
  try {
    const apt = await privateApt(work, suite);
    log(`fetching the package list of Debian ${suite} …`);
    const update = await run("apt-get", [...apt.options, "-q", "update"], apt, interrupted);
    // apt-get update exits 0 even when no index could be fetched: the list tells
    const lists = [...Deno.readDirSync(`${work}/lists`)].map((entry) => entry.name);
    if (!lists.some((name) => name.includes("_Packages"))) {
      throw new Error(
        `apt-get update fetched no package list from ${DEBIAN_MIRROR} (network, proxy or ` +
          `signature problem?); it said:\n${update.trim()}`,
      );
    }
    log("downloading nats-server …");
    await run("apt-get", [...apt.options, "-q", "download", "nats-server"], apt, interrupted);
    const deb = [...Deno.readDirSync(work)].find((entry) => entry.name.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download left no .deb in ${work}`);
    await run("dpkg-deb", ["-x", deb.name, "root"], apt, interrupted);
    const unpacked = `${work}/root/usr/sbin/nats-server`;
    const version = await reportedVersion(unpacked);
    if (typeof version === "string") {
      throw new Error(
        `Debian ${suite}'s nats-server does not run here (${version}); it needs glibc 2.34 ` +
          `or newer`,
      );
    }
    const target = `${cache}/${version.join(".")}`;
    await Deno.mkdir(target, { recursive: true });
    await Deno.rename(unpacked, `${target}/nats-server`);
    return { path: `${target}/nats-server`, version: version.join(".") };
  } finally {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

interface PrivateApt {
  readonly options: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/**
 * apt options and environment that read and write only under `work`: no system sources, no
 * system hooks (a post-update hook would refresh the system's caches), but the system's
 * proxy and its choice on Release files' expiry (a machine on an archive snapshot turns it
 * off), when it makes them.
 */
async function privateApt(work: string, suite: string): Promise<PrivateApt> {
  await Deno.mkdir(`${work}/lists/partial`, { recursive: true });
  await Deno.mkdir(`${work}/archives/partial`, { recursive: true });
  await Deno.mkdir(`${work}/parts`, { recursive: true });
  await Deno.writeTextFile(
    `${work}/sources.list`,
    `deb [signed-by=${DEBIAN_KEYRING}] ${DEBIAN_MIRROR} ${suite} main\n`,
  );
  const kept = await systemAptSettings(["Acquire::http::Proxy", "Acquire::Check-Valid-Until"]);
  await Deno.writeTextFile(
    `${work}/apt.conf`,
    [
      `Dir::Etc::main "/dev/null";`,
      `Dir::Etc::Parts "${work}/parts";`,
      ...kept.map(([name, value]) => `${name} "${value}";`),
    ].join("\n") + "\n",
  );
  const options = [
    `Dir::Etc::SourceList=${work}/sources.list`,
    "Dir::Etc::SourceParts=/dev/null",
    "Dir::Etc::Preferences=/dev/null",
    "Dir::Etc::PreferencesParts=/dev/null",
    `Dir::State::Lists=${work}/lists`,
    `Dir::Cache=${work}`,
    `Dir::Cache::Archives=${work}/archives`,
    "Debug::NoLocking=1",
    // as root, apt downloads as the _apt user, which cannot write into our directories
    ...(await isRoot() ? ["APT::Sandbox::User=root"] : []),
  ].flatMap((option) => ["-o", option]);
  return { options, cwd: work, env: { APT_CONFIG: `${work}/apt.conf` } };
}

async function isRoot(): Promise<boolean> {
  const { stdout } = await new Deno.Command("id", { args: ["-u"], stdout: "piped" }).output();
  return new TextDecoder().decode(stdout).trim() === "0";
}

/** The system's apt settings of these names that are set, as name and value. */
async function systemAptSettings(names: string[]): Promise<[string, string][]> {
  const kept: [string, string][] = [];
  for (const name of names) {
    try {
      const { stdout } = await new Deno.Command("apt-config", {
        args: ["shell", "VALUE", name],
        stdout: "piped",
        stderr: "null",
      }).output();
      const value = /^VALUE='(.*)'$/m.exec(new TextDecoder().decode(stdout))?.[1];
      if (value) kept.push([name, value]);
    } catch {
      // no apt-config: nothing to keep
    }
  }
  return kept;
}

async function removeStaleFetches(cache: string): Promise<void> {
  for (const entry of Deno.readDirSync(cache)) {
    if (!entry.name.startsWith(".fetch-")) continue;
    const path = `${cache}/${entry.name}`;
    const modified = Deno.statSync(path).mtime?.getTime() ?? 0;
    // real time: how old a directory is on disk
    if (Date.now() - modified > STALE_FETCH_MS) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  }
}

/** Runs a command; returns what it printed, or throws with it when it fails. */
async function run(
  command: string,
  args: string[],
  apt: PrivateApt,
  interrupted: AbortController,
): Promise<string> {
  interrupted.signal.throwIfAborted();
  const { success, stdout, stderr } = await new Deno.Command(`/usr/bin/${command}`, {
    args,
    cwd: apt.cwd,
    env: apt.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: interrupted.signal,
  }).output();
  interrupted.signal.throwIfAborted();
  const said = new TextDecoder().decode(new Uint8Array([...stdout, ...stderr]));
  if (success) return said;
  const shown = args.filter((arg, i) => arg !== "-o" && args[i - 1] !== "-o").join(" ");
  throw new Error(`${command} ${shown} failed:\n${said.trim()}`);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
