/**
 * Fetches Debian's newest `nats-server` package into naq's cache, as any user, without sudo
 * and without touching the system's apt configuration: apt gets a sources list, package
 * lists and a download cache of our own, then `dpkg-deb -x` unpacks the package.
 *
 * Why Debian's `sid` suite: bookworm ships 2.9.10, too old for naq, and sid's build is a
 * static Go binary that runs on any Debian or Ubuntu with libc 2.34 or newer.
 *
 * @module
 */
import { natsServerCacheDir } from "../src/dev/nats_server_binary.ts";
import { tryParseServerVersion } from "../src/core/server_version.ts";

const DEBIAN_MIRROR = "http://deb.debian.org/debian";
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** Why this machine cannot fetch Debian's package, or undefined when it can. */
export function cannotFetchFromDebian(): string | undefined {
  if (Deno.build.os !== "linux") return `this is ${Deno.build.os}, not Debian or Ubuntu`;
  if (!exists("/usr/bin/apt-get") || !exists("/usr/bin/dpkg-deb")) {
    return "apt-get and dpkg-deb are not installed (this is not Debian or Ubuntu)";
  }
  if (!exists(DEBIAN_KEYRING)) {
    return `Debian's archive key (${DEBIAN_KEYRING}) is not installed, so Debian's packages ` +
      `cannot be verified here`;
  }
  if (!natsServerCacheDir()) return "neither XDG_CACHE_HOME nor HOME is set";
  return undefined;
}

/**
 * Downloads and unpacks the `nats-server` of a Debian suite into
 * `<cache>/<version>/nats-server`.
 *
 * @param suite `sid` for the newest build; the tests take `bookworm`'s 2.9.10 to see that naq
 *   refuses a server that old
 * @returns the executable's path
 * @throws {Error} quoting apt's own output when a step fails
 */
export async function fetchDebianNatsServer(
  log: (line: string) => void,
  suite = "sid",
): Promise<string> {
  const cache = natsServerCacheDir()!;
  await Deno.mkdir(cache, { recursive: true });
  const work = await Deno.makeTempDir({ dir: cache, prefix: ".fetch-" });
  try {
    await Deno.mkdir(`${work}/lists/partial`, { recursive: true });
    await Deno.mkdir(`${work}/archives/partial`, { recursive: true });
    await Deno.writeTextFile(
      `${work}/sources.list`,
      `deb [signed-by=${DEBIAN_KEYRING}] ${DEBIAN_MIRROR} ${suite} main\n`,
    );
    const apt = [
      `Dir::Etc::SourceList=${work}/sources.list`,
      "Dir::Etc::SourceParts=/dev/null",
      "Dir::Etc::Preferences=/dev/null",
      "Dir::Etc::PreferencesParts=/dev/null",
      `Dir::State::Lists=${work}/lists`,
      `Dir::Cache=${work}`,
      `Dir::Cache::Archives=${work}/archives`,
      "Debug::NoLocking=1",
      // apt drops to the _apt user to download, which cannot write into our directories
      `APT::Sandbox::User=${await currentUser()}`,
    ].flatMap((option) => ["-o", option]);
    log(`fetching the package list of Debian ${suite} …`);
    await run("apt-get", [...apt, "-qq", "update"], work);
    log("downloading nats-server …");
    await run("apt-get", [...apt, "-qq", "download", "nats-server"], work);
    const deb = [...Deno.readDirSync(work)].find((entry) => entry.name.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download left no .deb in ${work}`);
    const version = tryParseServerVersion(deb.name)?.join(".");
    if (!version) throw new Error(`cannot read a version from ${deb.name}`);
    await run("dpkg-deb", ["-x", deb.name, "root"], work);
    const target = `${cache}/${version}`;
    await Deno.mkdir(target, { recursive: true });
    await Deno.rename(`${work}/root/usr/sbin/nats-server`, `${target}/nats-server`);
    return `${target}/nats-server`;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

async function currentUser(): Promise<string> {
  const { stdout } = await new Deno.Command("id", { args: ["-un"], stdout: "piped" }).output();
  return new TextDecoder().decode(stdout).trim();
}

async function run(command: string, args: string[], cwd: string): Promise<void> {
  const { success, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (success) return;
  const said = new TextDecoder().decode(new Uint8Array([...stdout, ...stderr])).trim();
  const shown = args.filter((arg, i) => arg !== "-o" && args[i - 1] !== "-o").join(" ");
  throw new Error(`${command} ${shown} failed:\n${said}`);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
