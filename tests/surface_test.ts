/**
 * The public surface. `@naq/naq` (mod.ts) exports what an application writes against, pinned
 * here so that it grows only on purpose; the service layer (services, buckets, wire names) is
 * `@naq/naq/services` (src/services/mod.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as services from "../src/services/mod.ts";

const rootDir = new URL("..", import.meta.url);

/**
 * The user API, by name: values and types. A name added to mod.ts must be added here too, and
 * only if users write against it; the types its names reference are part of it (`deno doc
 * --lint` refuses a reference to a type that is not exported).
 */
const USER_API = [
  // configuration
  "BackoffInput",
  "BackoffSettings",
  "BackoffType",
  "ConfigInput",
  "createConfig",
  "DurationInput",
  "loadConfig",
  "LoadConfigOptions",
  "NaqConfig",
  "NatsSettings",
  "PartialQueueSettings",
  "QueueSettings",
  "queueSettings",
  "QueueSettingsInput",
  "resolveConfig",
  "ResolvedConfig",
  "SizeInput",
  "TlsSettings",
  // `{ services }`: one connection shared, with an injected clock
  "ServiceManager",
  "ServicesOption",
  "Clock",
  "systemClock",
  // the classes and their options and results
  "Queue",
  "EnqueueItem",
  "EnqueueOptions",
  "EventsOptions",
  "SinceInput",
  "JobHandle",
  "ListJobsOptions",
  "QueueDeleted",
  "QueueStats",
  "ResultOptions",
  "ScheduleOptions",
  "ScheduleTimingInput",
  "ScheduleUpdate",
  "DeadLetter",
  "StoredDeadLetter",
  "Worker",
  "WorkerOptions",
  "MetricsListen",
  "WorkerEntry",
  "WorkerLogger",
  "consoleLogger",
  "Scheduler",
  "SchedulerOptions",
  "SchedulerStatus",
  // tasks
  "defineTask",
  "Task",
  "TaskContext",
  "TaskDefaults",
  "TaskHandler",
  "TaskLogger",
  "TaskOptions",
  // records: jobs, schedules, events
  "ActiveJob",
  "AttemptError",
  "CancelledJob",
  "CompletedJob",
  "DeadJob",
  "DelayedJob",
  "FailedJob",
  "FinishedJob",
  "JobBase",
  "JobOptions",
  "JobRecord",
  "JobState",
  "ScheduleFiring",
  "WaitingJob",
  "MissedPolicy",
  "ScheduledJobOptions",
  "ScheduleLimits",
  "ScheduleRecord",
  "ScheduleTiming",
  "InstantInput",
  "JobEvent",
  "JobEventType",
  // errors
  "ConfigError",
  "ConnectionError",
  "ErrorCode",
  "isNaqError",
  "JobFailedError",
  "NaqError",
  "TimeoutError",
  "UnrecoverableError",
];

/**
 * What mod.ts may take from src/services/: the manager that `{ services }` shares, and the
 * types of what Queue and Scheduler return.
 */
const FROM_SERVICES = [
  "DeadLetter",
  "QueueStats",
  "SchedulerStatus",
  "ServiceManager",
  "StoredDeadLetter",
];

interface Exported {
  readonly name: string;
  /** The file of its first declaration, relative to the repository. */
  readonly file: string;
}

/** The names an entry point exports, types included, as `deno doc` (and JSR) sees them. */
async function exportsOf(entry: string): Promise<Exported[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: rootDir,
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const { nodes } = JSON.parse(new TextDecoder().decode(stdout));
  const symbols: { name: string; declarations: { location: { filename: string } }[] }[] =
    nodes[new URL(entry, rootDir).href].symbols;
  return symbols.map(({ name, declarations }) => ({
    name,
    file: declarations[0].location.filename.slice(rootDir.href.length),
  }));
}

const byName = (a: string, b: string) => a.localeCompare(b, "en");

Deno.test("mod.ts exports the user API pinned here, and nothing else", async () => {
  const exported = (await exportsOf("mod.ts")).map(({ name }) => name);
  const added = exported.filter((name) => !USER_API.includes(name));
  const removed = USER_API.filter((name) => !exported.includes(name));
  assert.deepEqual(
    { added, removed },
    { added: [], removed: [] },
    "mod.ts is the user API: add a name to USER_API in tests/surface_test.ts only if users " +
      "write against it; services, buckets and wire names go in src/services/mod.ts",
  );
  assert.equal(new Set(USER_API).size, USER_API.length, "USER_API names each name once");
});

Deno.test("mod.ts exports no service, bucket or wire name", async () => {
  const underServices = (await exportsOf("mod.ts"))
    .filter(({ file }) => file.startsWith("src/services/"))
    .map(({ name }) => name);
  assert.deepEqual(underServices.sort(byName), FROM_SERVICES);
  const shared = Object.keys(root).filter((name) => name in services);
  assert.deepEqual(shared, ["ServiceManager"], "only the manager is in both entry points");
  const plumbing = (await exportsOf("mod.ts"))
    .map(({ name }) => name)
    .filter((name) => /Service$|Bucket|[Ww]ire|Stream|Feed/.test(name));
  assert.deepEqual(plumbing, []);
});

Deno.test("@naq/naq/services exports every service class, the buckets and the wire names", async () => {
  const { exports } = JSON.parse(await Deno.readTextFile(new URL("deno.json", rootDir)));
  assert.equal(exports["./services"], "./src/services/mod.ts");
  const classes: string[] = [];
  for await (const file of walk(new URL("src/services/", rootDir))) {
    const text = await Deno.readTextFile(file);
    for (const [, name] of text.matchAll(/^export class (\w+Service)\b/gm)) classes.push(name);
  }
  assert.ok(classes.includes("StreamService") && classes.includes("JobService"), `${classes}`);
  const missing = classes.filter((name) => !(name in services));
  assert.deepEqual(missing, [], "every service class is exported from src/services/mod.ts");
  for (const name of ["ServiceManager", "JsonBucket", "wireNames"]) {
    assert.ok(name in services, name);
  }
  const types = (await exportsOf("src/services/mod.ts")).map(({ name }) => name);
  for (const name of ["WireNames", "JobMessageKind", "StreamFeed", "BucketOptions", "Versioned"]) {
    assert.ok(types.includes(name), name);
  }
});

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}
