/**
 * A job's life as OpenTelemetry spans: `naq enqueue <task>` (producer) in the enqueuer's
 * context, whose trace context travels in the job's message headers; then, in the worker,
 * `naq wait <task>` (how long it waited once due) and `naq run <task>` (consumer), children
 * of the enqueue span, with the handler running inside the run span's context.
 *
 * Through `@opentelemetry/api` only: without an SDK installed by the application every span
 * is a no-op and the no-op propagator injects nothing, so a job's messages carry no header.
 *
 * @module
 */
import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import denoJson from "../../deno.json" with { type: "json" };
import type { JobRecord } from "../core/job.ts";
import { TRACE_HEADERS } from "../services/core/job_messages.ts";

/** The instrumentation scope of naq's spans. */
export const TRACER_NAME = "naq";

// fetched at each use, not kept: an SDK installed after this module loaded takes effect
function tracer() {
  return trace.getTracer(TRACER_NAME, denoJson.version);
}

function jobAttributes(queue: string, task: string, jobId: string): Attributes {
  return {
    "messaging.system": "nats",
    "messaging.destination.name": queue,
    "messaging.message.id": jobId,
    "naq.queue": queue,
    "naq.task": task,
    "naq.job.id": jobId,
  };
}

/** An enqueue's span, and the trace context its job's message carries. */
export interface EnqueueSpan {
  /** The headers to write on the job's message; `undefined` when there are none. */
  readonly trace?: Readonly<Record<string, string>>;
  /** Ends the span, with an error status when `error` is given. */
  end(error?: unknown): void;
}

/** Starts the span of one job's enqueue, in the caller's active context. */
export function startEnqueueSpan(queue: string, task: string, jobId: string): EnqueueSpan {
  const span = tracer().startSpan(`naq enqueue ${task}`, { kind: SpanKind.PRODUCER });
  if (span.isRecording()) span.setAttributes(jobAttributes(queue, task, jobId));
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return {
    trace: carrier[TRACE_HEADERS[0]] ? kept(carrier) : undefined,
    end(error?: unknown) {
      if (error !== undefined) fail(span, error);
      span.end();
    },
  };
}

/** The trace context the current context would propagate: for a job written outside enqueue. */
export function activeTrace(): Readonly<Record<string, string>> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier[TRACE_HEADERS[0]] ? kept(carrier) : undefined;
}

/** What became of a job's attempt, for its run span. */
export interface RunEnd {
  /** `completed`, `retry`, `dead`, `handed back` or `dropped` (moved on elsewhere). */
  readonly outcome: string;
  /** What the attempt failed with: the span's status is then an error. */
  readonly error?: unknown;
}

/** A job attempt's run span. */
export interface RunSpan {
  /** Calls `fn` inside the run span's context: spans the handler starts nest under it. */
  within<T>(fn: () => T): T;
  /** Ends the span at `at` (ms since the epoch), with an error status for a failed attempt. */
  end(end: RunEnd, at: number): void;
}

/**
 * Starts the span of one attempt of `job`, child of its enqueue span when its message
 * carries a trace context, and records before it the wait from `dueAt` to `startedAt`.
 */
export function startRunSpan(
  job: JobRecord,
  carried: Readonly<Record<string, string>> | undefined,
  dueAt: number,
  startedAt: number,
): RunSpan {
  const parent = carried ? propagation.extract(ROOT_CONTEXT, carried) : ROOT_CONTEXT;
  const span = tracer().startSpan(
    `naq run ${job.task}`,
    { kind: SpanKind.CONSUMER, startTime: startedAt },
    parent,
  );
  if (span.isRecording()) {
    const attributes = jobAttributes(job.queue, job.task, job.id);
    span.setAttributes({ ...attributes, "naq.job.attempt": job.attempt });
    tracer().startSpan(`naq wait ${job.task}`, {
      startTime: Math.min(dueAt, startedAt),
      attributes: { ...attributes, "naq.job.attempt": job.attempt },
    }, parent).end(startedAt);
  }
  const running = trace.setSpan(parent, span);
  return {
    within: (fn) => context.with(running, fn),
    end(end, at) {
      if (span.isRecording()) span.setAttribute("naq.job.outcome", end.outcome);
      if (end.error !== undefined) fail(span, end.error);
      span.end(at);
    },
  };
}

/**
 * Runs `fire`, a scheduler's firing of a schedule, inside a span of its own (a new trace):
 * the job it enqueues belongs to that trace.
 */
export function withFireSpan<T>(
  queue: string,
  scheduleId: string,
  fire: () => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    `naq fire ${scheduleId}`,
    { attributes: { "naq.queue": queue, "naq.schedule.id": scheduleId } },
    ROOT_CONTEXT,
    async (span) => {
      try {
        return await fire();
      } catch (err) {
        fail(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

function fail(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** The carrier's headers that naq's messages carry. */
function kept(carrier: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const key of TRACE_HEADERS) if (carrier[key]) headers[key] = carrier[key];
  return headers;
}
