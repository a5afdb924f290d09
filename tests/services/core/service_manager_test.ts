import assert from "node:assert/strict";
import { createConfig } from "../../../src/config/mod.ts";
import { isNaqError } from "../../../src/errors.ts";
import { type ServiceFactory, ServiceManager } from "../../../src/services/core/service_manager.ts";
import { nextTurn } from "../../helpers/config.ts";

/**
 * A factory whose services record their creation and disposal in `log`; `started`, when
 * given, is resolved to let a creation go on, so the test decides what happens meanwhile.
 */
function recordingFactory(
  name: string,
  log: string[],
  options: {
    dependsOn?: ServiceFactory<object>;
    failDispose?: boolean;
    started?: Promise<void>;
  } = {},
): ServiceFactory<AsyncDisposable> {
  return {
    name,
    async create(services) {
      if (options.dependsOn) await services.get(options.dependsOn);
      await options.started;
      log.push(`create ${name}`);
      return {
        [Symbol.asyncDispose]() {
          log.push(`dispose ${name}`);
          return options.failDispose
            ? Promise.reject(new Error(`${name} broke`))
            : Promise.resolve();
        },
      };
    },
  };
}

Deno.test("get() creates a service once, even under concurrent calls", async () => {
  const log: string[] = [];
  const creating = Promise.withResolvers<void>();
  const factory = recordingFactory("a", log, { started: creating.promise });
  await using services = new ServiceManager(createConfig());
  // every call made while the first creation is still under way
  const all = Array.from({ length: 20 }, () => services.get(factory));
  creating.resolve();
  assert.equal(new Set(await Promise.all(all)).size, 1);
  assert.deepEqual(log, ["create a"]);
});

Deno.test("get() injects dependencies, created first and disposed last", async () => {
  const log: string[] = [];
  const base = recordingFactory("base", log);
  const middle = recordingFactory("middle", log, { dependsOn: base });
  const top = recordingFactory("top", log, { dependsOn: middle });
  const services = new ServiceManager(createConfig());
  await services.get(top);
  await services[Symbol.asyncDispose]();
  assert.deepEqual(log, [
    "create base",
    "create middle",
    "create top",
    "dispose top",
    "dispose middle",
    "dispose base",
  ]);
});

Deno.test("dispose runs every step when one throws, then rethrows the first error", async () => {
  const log: string[] = [];
  const services = new ServiceManager(createConfig());
  await services.get(recordingFactory("a", log));
  await services.get(recordingFactory("b", log, { failDispose: true }));
  await services.get(recordingFactory("c", log, { failDispose: true }));
  await assert.rejects(services[Symbol.asyncDispose](), /c broke/);
  assert.deepEqual(log.filter((line) => line.startsWith("dispose")), [
    "dispose c",
    "dispose b",
    "dispose a",
  ]);
});

Deno.test("a second dispose is a no-op that returns the same promise", async () => {
  const log: string[] = [];
  const services = new ServiceManager(createConfig());
  await services.get(recordingFactory("a", log));
  const first = services[Symbol.asyncDispose]();
  assert.equal(services.close(), first);
  await first;
  await services[Symbol.asyncDispose]();
  assert.deepEqual(log, ["create a", "dispose a"]);
});

Deno.test("get() after dispose rejects with CLOSED", async () => {
  const services = new ServiceManager(createConfig());
  await services[Symbol.asyncDispose]();
  await assert.rejects(
    services.get(recordingFactory("late", [])),
    (err) =>
      isNaqError(err, "CLOSED") &&
      /Cannot get late: this ServiceManager was disposed/.test(err.message),
  );
});

Deno.test("a failed create is not cached: the next get() tries again", async () => {
  let attempts = 0;
  const flaky: ServiceFactory<object> = {
    name: "flaky",
    create() {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new Error("down")) : Promise.resolve({});
    },
  };
  await using services = new ServiceManager(createConfig());
  await assert.rejects(services.get(flaky), /down/);
  await services.get(flaky);
  assert.equal(attempts, 2);
});

Deno.test("dispose waits for a service still starting and disposes it too", async () => {
  const log: string[] = [];
  const creating = Promise.withResolvers<void>();
  const services = new ServiceManager(createConfig());
  const starting = services.get(recordingFactory("slow", log, { started: creating.promise }));
  let disposed = false;
  const disposing = services[Symbol.asyncDispose]().then(() => (disposed = true));
  await nextTurn();
  assert.equal(disposed, false, "dispose waits while the service starts");
  creating.resolve();
  await disposing;
  await starting;
  assert.deepEqual(log, ["create slow", "dispose slow"]);
});
