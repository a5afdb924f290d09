/**
 * The README's Install and Deploy sections, held to what they claim: the install command gives a
 * working `naq`, the systemd unit and the compose file run the worker with the documented flags,
 * and the 3-node cluster configuration forms a cluster that stores a queue on three replicas.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { defaultConfig, loadConfig } from "../src/config/mod.ts";
import { wireNames } from "../src/core/names.ts";
import { defineTask, Queue, Worker } from "../mod.ts";
import { freePort, startNatsServer, waitForMetaLeader } from "./helpers/nats_server.ts";
import { codeBlocks, root, section } from "./helpers/readme.ts";
import { silentLogger } from "./reliability/_helpers.ts";

const { version } = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
const shutdownSeconds = defaultConfig().worker.shutdownTimeout / 1000;

/** The one code block of `language` under the heading `title`. */
function block(title: string, language: string): string {
  const blocks = codeBlocks(language, section(title));
  assert.equal(blocks.length, 1, `one ${language} block under ${title}`);
  return blocks[0];
}

/** The words of a command line, split as the shell would split these (no quoting in them). */
function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** What every documented worker command must be: naq's CLI at this version, never prompting. */
function assertWorkerCommand(args: readonly string[], where: string): void {
  assert.equal(args[0], "run", where);
  const cli = args.indexOf(`jsr:@naq/naq@${version}/cli`);
  assert.ok(cli > 0, `${where} runs jsr:@naq/naq@${version}/cli: ${args.join(" ")}`);
  const flags = args.slice(1, cli);
  assert.deepEqual(flags, ["--no-prompt", "--allow-net", "--allow-read", "--allow-env"], where);
  assert.deepEqual(args.slice(cli + 1, cli + 2), ["worker"], where);
}

Deno.test("the README's install command gives a naq command that runs", async () => {
  const line = codeBlocks("sh", section("## Install"))[0].split("\n")
    .find((command) => command.startsWith("deno install -g "));
  assert.ok(line, "the Install section shows deno install -g");
  const args = words(line).slice(1);
  assert.equal(args.at(-1), "jsr:@naq/naq/cli");
  const installRoot = await Deno.makeTempDir({ prefix: "deploy12_install_" });
  try {
    // JSR is out of reach here: the checkout stands in for jsr:@naq/naq/cli, with its import map
    const local = [...args.slice(0, -1), "--root", installRoot, "--config", `${root}deno.json`];
    const install = await new Deno.Command(Deno.execPath(), {
      args: [...local, `${root}cli.ts`],
    }).output();
    assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
    const run = await new Deno.Command(`${installRoot}/bin/naq`, { args: ["--version"] }).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.equal(new TextDecoder().decode(run.stdout).trim(), version);
  } finally {
    await Deno.remove(installRoot, { recursive: true });
  }
});

const systemdAnalyze = await new Deno.Command("systemd-analyze", { args: ["--version"] }).output()
  .then(({ success }) => success, () => false);

Deno.test({
  name: "the README's systemd unit is valid and stops the worker gracefully (systemd-analyze)",
  ignore: !systemdAnalyze,
  fn: async () => {
    const unit = block("### systemd", "ini");
    const exec = unit.match(/^ExecStart=(\S+) (.*)$/m);
    assert.ok(exec, "the unit has an ExecStart");
    assertWorkerCommand(words(exec[2]), "ExecStart");
    assert.equal(unit.match(/^KillSignal=(.*)$/m)?.[1], "SIGTERM");
    const stopSeconds = Number(unit.match(/^TimeoutStopSec=(\d+)$/m)?.[1]);
    assert.ok(stopSeconds > shutdownSeconds, `TimeoutStopSec ${stopSeconds} s`);
    const dir = await Deno.makeTempDir({ prefix: "deploy12_systemd_" });
    try {
      // verify wants the program to exist: this machine's deno stands in for /usr/bin/deno
      const file = `${dir}/naq-worker.service`;
      await Deno.writeTextFile(file, unit.replace(exec[1], Deno.execPath()));
      const verify = await new Deno.Command("systemd-analyze", {
        args: ["verify", "--man=no", file],
      }).output();
      const said = new TextDecoder().decode(verify.stderr);
      // an unknown key is only a warning: any word from it fails the test too
      assert.ok(verify.success && said.trim() === "", said);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the README's compose file runs nats-server with JetStream and the worker gracefully", () => {
  const compose = parse(block("### Docker Compose", "yaml")) as {
    services: Record<string, Record<string, unknown>>;
  };
  const { nats, worker } = compose.services;
  const [major, minor] = String(nats.image).replace(/^nats:/, "").split(".").map(Number);
  assert.ok(major > 2 || (major === 2 && minor >= 12), `nats image ${nats.image}`);
  assert.ok((nats.command as string[]).includes("-js"), "JetStream is on");
  assertWorkerCommand(worker.command as string[], "the worker's command");
  const servers = (worker.environment as Record<string, string>).NAQ_NATS_SERVERS;
  assert.equal(new URL(servers).hostname, "nats", "the worker reaches the nats service");
  assert.ok(parseInt(String(worker.stop_grace_period)) > shutdownSeconds);
});

Deno.test("the README's 3-node cluster configuration forms a cluster that keeps a queue on three replicas", async () => {
  const conf = block("### A 3-node cluster", "conf");
  const naqYaml = block("### A 3-node cluster", "yaml");
  const nodes = [1, 2, 3].map((n) => ({
    name: `n${n}`,
    port: freePort(),
    monitorPort: freePort(),
    routePort: freePort(),
  }));
  await using cleanup = new AsyncDisposableStack();
  const store = await Deno.makeTempDir({ prefix: "deploy12_cluster_" });
  cleanup.defer(() => Deno.remove(store, { recursive: true }));
  // every address the README names, moved to loopback ports of this test's own
  const replaceAll = (text: string, from: string, to: string) => {
    assert.ok(text.includes(from), `the configuration has ${from}`);
    return text.replaceAll(from, to);
  };
  const servers = await Promise.all(nodes.map(async (node) => {
    let text = replaceAll(conf, "server_name: n1", `server_name: ${node.name}`);
    text = replaceAll(text, "0.0.0.0:4222", `127.0.0.1:${node.port}`);
    text = replaceAll(text, "127.0.0.1:8222", `127.0.0.1:${node.monitorPort}`);
    text = replaceAll(text, "0.0.0.0:6222", `127.0.0.1:${node.routePort}`);
    text = replaceAll(text, "/var/lib/nats/jetstream", `${store}/${node.name}`);
    for (const peer of nodes) {
      text = replaceAll(
        text,
        `nats-route://${peer.name}:6222`,
        `nats-route://127.0.0.1:${peer.routePort}`,
      );
    }
    const { name, port, monitorPort } = node;
    return cleanup.use(
      await startNatsServer({ name, port, monitorPort, extraConfig: text, readyTimeoutMs: 30_000 }),
    );
  }));
  await waitForMetaLeader(servers);

  let yamlText = naqYaml;
  for (const node of nodes) {
    yamlText = replaceAll(yamlText, `nats://${node.name}:4222`, `nats://127.0.0.1:${node.port}`);
  }
  await Deno.writeTextFile(`${store}/naq.yaml`, yamlText);
  const config = await loadConfig({ file: `${store}/naq.yaml`, env: () => undefined });
  assert.equal(config.streams.replicas, 3);

  const hello = defineTask("hello", (name: string) => `hello ${name}`);
  await using queue = new Queue("deploy", { config });
  await using worker = new Worker("deploy", [hello], { config, logger: silentLogger });
  worker.run();
  const job = await queue.enqueue(hello, "cluster");
  assert.equal(await job.result({ timeout: "30s" }), "hello cluster");

  const jsz = await servers[0].monitor<{
    account_details?: { stream_detail?: { name: string; cluster?: { replicas?: unknown[] } }[] }[];
  }>("jsz?streams=true");
  const stream = jsz.account_details?.flatMap((account) => account.stream_detail ?? [])
    .find((detail) => detail.name === wireNames("naq").queueStream("deploy"));
  assert.equal(stream?.cluster?.replicas?.length, 2, "the leader and two replicas");
});
