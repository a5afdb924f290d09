/**
 * Where the workers page gets its workers: the worker registry, behind one function so that
 * the page does not depend on how the registry is reached.
 *
 * @module
 */
import type { WorkerEntry } from "../core/worker_entry.ts";
import { WorkerRegistry } from "../services/business/worker_registry.ts";
import type { ServiceManager } from "../services/core/service_manager.ts";

/** Lists the live workers and schedulers (the workers of one queue, when given). */
export type WorkersSource = (queue?: string) => Promise<readonly WorkerEntry[]>;

/** The workers of the registry on `services`. */
export function registryWorkers(services: ServiceManager): WorkersSource {
  return async (queue) => await (await services.get(WorkerRegistry)).list({ queue });
}
