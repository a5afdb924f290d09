/**
 * What tracing and metrics add to a job on the hot path: the spans of an enqueue and of a
 * run with no OpenTelemetry SDK installed (no-ops), beside the same with an SDK that records
 * to memory, and a worker's counter and histogram updates. A job itself costs tens of
 * microseconds of client time; these are fractions of one.
 */
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { Registry } from "prom-client";
import type { JobRecord } from "../src/core/job.ts";
import { JobMetrics } from "../src/metrics/job_metrics.ts";
import { startEnqueueSpan, startRunSpan } from "../src/tracing/job_spans.ts";

const job = {
  id: "job-1",
  queue: "emails",
  task: "send",
  attempt: 1,
  enqueuedAt: 0,
  errors: [],
} as unknown as JobRecord;

function enqueueAndRun(): void {
  const enqueue = startEnqueueSpan(job.queue, job.task, job.id);
  enqueue.end();
  const run = startRunSpan(job, enqueue.trace, 0, 1);
  run.within(() => 1);
  run.end({ outcome: "completed" }, 2);
}

Deno.bench("spans of one job, no SDK (no-op)", { group: "tracing" }, () => {
  enqueueAndRun();
});

const exporter = new InMemorySpanExporter();
Deno.bench("spans of 1,000 jobs, SDK recording to memory", { group: "tracing" }, (b) => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  b.start();
  for (let i = 0; i < 1_000; i++) enqueueAndRun();
  b.end();
  exporter.reset();
  trace.disable();
  context.disable();
  propagation.disable();
});

const metrics = new JobMetrics(new Registry());
Deno.bench("a worker's metrics of one job", { group: "metrics" }, () => {
  metrics.observeWait(job.queue, job.task, 3);
  metrics.observeRun(job.queue, job.task, 12);
  metrics.count("completed", job.queue, job.task);
});
