import type { Clock } from "../../../clock.ts";
import type { NaqConfig } from "../../../config/mod.ts";
import type { ConnectionService } from "../../core/connection_service.ts";
import type { DeadLetterService } from "../dead_letter_service.ts";
import type { EventService } from "../event_service.ts";
import type { JobStreams } from "./job_streams.ts";
import type { ResultWaiters } from "./result_waiters.ts";

/** What the producer's verbs (enqueue, read, cancel, retry) work with. */
export interface JobContext {
  readonly jobs: JobStreams;
  readonly connection: ConnectionService;
  readonly events: EventService;
  readonly deadLetters: DeadLetterService;
  readonly waiters: ResultWaiters;
  readonly clock: Clock;
  readonly config: NaqConfig;
}

// un-awaited writes in flight at once during a batch: enough to fill the pipe
export const PUBLISH_WINDOW = 512;
