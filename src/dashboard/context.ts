/**
 * What every page and action of one dashboard shares.
 *
 * @module
 */
import type { ServiceManager } from "../services/core/service_manager.ts";
import type { AccessPolicy } from "./access.ts";
import type { LiveFeed } from "./live_feed.ts";
import type { WorkersSource } from "./workers_source.ts";

/** One dashboard's connection, settings and live state. */
export interface DashboardContext {
  /** The connection everything is read through. */
  readonly services: ServiceManager;
  /** The path the dashboard is served under, such as `/naq`; `""` at the root. */
  readonly base: string;
  /** Who may take actions. */
  readonly policy: AccessPolicy;
  /** The events heard since the dashboard started. */
  readonly feed: LiveFeed;
  /** The live workers. */
  readonly workers: WorkersSource;
}
