/**
 * Where the workers page gets its workers: the worker registry, behind one function so that
 * the page does not depend on how the registry is reached.
 *
 * @module
 */
import type { ServiceManager } from "../services/core/service_manager.ts";

/** A job a worker runs now. */
export interface RunningEntry {
  /** The job's id. */
  readonly jobId: string;
  /** Its queue. */
  readonly queue: string;
  /** Its task. */
  readonly task: string;
  /** When its attempt started, ms since the epoch. */
  readonly since: number;
}

/**
 * A live worker or scheduler replica, as the worker registry keeps it. (The same shape as
 * `WorkerEntry` of `src/core/worker_entry.ts`: this copy goes once the registry is merged.)
 */
export interface WorkerEntry {
  /** The replica's id. */
  readonly id: string;
  /** What it is. */
  readonly kind: "worker" | "scheduler";
  /** The host it runs on. */
  readonly host: string;
  /** Its process id. */
  readonly pid: number;
  /** The queues it takes jobs from. */
  readonly queues: readonly string[];
  /** The tasks it runs. */
  readonly tasks: readonly string[];
  /** How many jobs it runs at once. */
  readonly concurrency: number;
  /** The jobs it runs now. */
  readonly running: readonly RunningEntry[];
  /** When it started, ms since the epoch. */
  readonly startedAt: number;
  /** Its latest heartbeat, ms since the epoch. */
  readonly heartbeatAt: number;
  /** The naq version it runs. */
  readonly version: string;
  /** Whether it takes jobs. */
  readonly state: "running" | "paused" | "draining";
}

/** Lists the live workers (of one queue, when given); `null` when no registry is there. */
export type WorkersSource = (queue?: string) => Promise<readonly WorkerEntry[] | null>;

/**
 * The workers of the registry on `services`.
 *
 * Until the worker registry is merged there is none to read, and this says so (`null`): the
 * page shows that the list is not available rather than an empty one. To wire it:
 * `return (await services.get(WorkerRegistry)).list({ queue })`.
 */
export function registryWorkers(_services: ServiceManager): WorkersSource {
  return () => Promise.resolve(null);
}
