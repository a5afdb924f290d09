/**
 * Tracing through OpenTelemetry: with an SDK installed (here an in-memory exporter), a job
 * shows up inside the request that enqueued it (enqueue, wait and run spans, one trace, the
 * handler's own spans under run), across retries and delays; without one, its messages carry
 * no header, and a job costs the same messages either way.
 */
import assert from "node:assert/strict";
import {
  context,
  propagation,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { JobRecord } from "../../src/core/job.ts";
import { wireNames } from "../../src/core/names.ts";
import { Queue } from "../../src/queue.ts";
import { JobStreams } from "../../src/services/business/jobs/job_streams.ts";
import { StreamService } from "../../src/services/core/stream_service.ts";
import type { ServiceManager } from "../../src/services/core/service_manager.ts";
import { defineTask } from "../../src/task.ts";
import { Worker } from "../../src/worker.ts";
import { waitFor } from "../helpers/config.ts";
import { setup, silent } from "../queue/_setup.ts";
import { schedulerSetup } from "../scheduler/_setup.ts";

/** Installs an SDK exporting to memory, as an application would; uninstalled on dispose. */
function installTracing(): { spans: InMemorySpanExporter } & Disposable {
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  assert.ok(trace.setGlobalTracerProvider(provider));
  assert.ok(context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  assert.ok(propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  return {
    spans,
    [Symbol.dispose]() {
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

const app = () => trace.getTracer("the-app");

/** The one finished span named `name` (and matching `where`), failing when not exactly one. */
function one(spans: ReadableSpan[], name: string, where = (_: ReadableSpan) => true) {
  const found = spans.filter((span) => span.name === name && where(span));
  assert.equal(found.length, 1, `spans named ${name}: ${spans.map((span) => span.name)}`);
  return found[0];
}

function isChildOf(span: ReadableSpan, parent: { spanContext(): SpanContext }): boolean {
  const { traceId, spanId } = parent.spanContext();
  return span.spanContext().traceId === traceId && span.parentSpanContext?.spanId === spanId;
}

/** The trace context headers of the job's latest message in its queue's stream. */
async function headersOf(services: ServiceManager, queue: string, jobId: string) {
  const latest = await (await services.get(JobStreams)).messages.latest(queue, jobId);
  assert.ok(latest, `job ${jobId} has a message`);
  return latest.trace;
}

Deno.test("a job traced from the request that enqueued it: enqueue, wait and run, one trace", async () => {
  using tracing = installTracing();
  await using env = await setup();
  let attempts = 0;
  const flaky = defineTask("flaky", async (_payload: null, ctx) => {
    attempts += 1;
    // the application's own span, in the handler: it nests under naq's run span
    await app().startActiveSpan("send the email", async (span) => {
      await Promise.resolve();
      span.setAttribute("attempt", ctx.attempt);
      span.end();
    });
    if (ctx.attempt === 1) throw new Error("the mail server said no");
    return "sent";
  }, { attempts: 2 });
  env.worker([flaky]);

  const request = app().startSpan("POST /signup", { kind: SpanKind.SERVER });
  const handles = await context.with(trace.setSpan(context.active(), request), () =>
    Promise.all([
      env.queue.enqueue(flaky, null, { jobId: "now" }),
      env.queue.enqueue(flaky, null, { jobId: "later", delay: "200ms" }),
    ]));
  request.end();
  for (const handle of handles) assert.equal(await handle.result({ timeout: "30s" }), "sent");
  assert.equal(attempts, 4);
  // ended just after the outcome is stored, which the producer may hear first
  await waitFor(
    "both jobs' last run spans",
    () =>
      tracing.spans.getFinishedSpans().filter((span) => span.name === "naq run flaky").length === 4,
  );

  const spans = tracing.spans.getFinishedSpans();
  const traceId = request.spanContext().traceId;
  assert.deepEqual(
    spans.filter((span) => span.spanContext().traceId !== traceId).map((span) => span.name),
    [],
    "every span is in the request's trace",
  );
  for (const jobId of ["now", "later"]) {
    const ofJob = (span: ReadableSpan) => span.attributes["naq.job.id"] === jobId;
    const enqueue = one(spans, "naq enqueue flaky", ofJob);
    assert.equal(enqueue.kind, SpanKind.PRODUCER);
    assert.ok(isChildOf(enqueue, request), "enqueue is a child of the request");
    assert.equal(enqueue.attributes["naq.queue"], "jobs");
    for (const attempt of [1, 2]) {
      const ofAttempt = (span: ReadableSpan) =>
        ofJob(span) && span.attributes["naq.job.attempt"] === attempt;
      const run = one(spans, "naq run flaky", ofAttempt);
      const wait = one(spans, "naq wait flaky", ofAttempt);
      assert.equal(run.kind, SpanKind.CONSUMER);
      // the retry's message carried the enqueue's trace context on
      assert.ok(isChildOf(run, enqueue), `${jobId}: run ${attempt} is a child of its enqueue`);
      assert.ok(isChildOf(wait, enqueue), `${jobId}: wait ${attempt} is a child of its enqueue`);
      assert.deepEqual(
        { queue: run.attributes["naq.queue"], task: run.attributes["naq.task"] },
        { queue: "jobs", task: "flaky" },
      );
      assert.equal(run.status.code, attempt === 1 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
      assert.equal(run.attributes["naq.job.outcome"], attempt === 1 ? "retry" : "completed");
      const own = one(spans, "send the email", (span) => isChildOf(span, run));
      assert.equal(own.attributes.attempt, attempt);
    }
  }
  assert.equal(
    one(
      spans,
      "naq run flaky",
      (s) => s.attributes["naq.job.attempt"] === 1 && s.attributes["naq.job.id"] === "now",
    )
      .status.message,
    "the mail server said no",
  );
});

Deno.test("without a tracing SDK a job's messages carry no trace header; with one, no more messages", async () => {
  await using env = await setup();
  const flaky = defineTask("flaky", (_: null, ctx) => {
    if (ctx.attempt === 1) throw new Error("once");
    return "done";
  }, { attempts: 2 });
  const names = wireNames("naq");
  /** Runs one job that fails once in `queue`: how many messages its stream stored for it. */
  const storedFor = async (queue: string) => {
    await using producer = new Queue(queue, { services: env.services });
    await using worker = new Worker(queue, [flaky], {
      services: env.services,
      handleSignals: false,
      logger: silent,
    });
    void worker.run();
    await (await producer.enqueue(flaky, null)).result({ timeout: "30s" });
    const info = await (await env.services.get(StreamService)).info(names.queueStream(queue));
    return info?.state.last_seq;
  };

  await env.queue.enqueue("nobody-runs-this", null, { jobId: "untraced" });
  assert.equal(await headersOf(env.services, "jobs", "untraced"), undefined);
  const untraced = await storedFor("untraced");
  {
    using _tracing = installTracing();
    await env.queue.enqueue("nobody-runs-this", null, { jobId: "traced" });
    const headers = await headersOf(env.services, "jobs", "traced");
    assert.match(headers?.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // the same messages, with a header more
    assert.equal(await storedFor("traced"), untraced);
  }
  // the job, its retry (a schedule), the retry's run message the server made, its record
  assert.equal(untraced, 4);
});

Deno.test("a job a schedule fires belongs to the trace of its firing", async () => {
  using tracing = installTracing();
  await using s = await schedulerSetup();
  await s.queue.schedule("tick", "report", null, { every: "1m" });
  await s.lead();
  s.clock.advance(60_000);
  let fired: JobRecord | undefined;
  await waitFor("the schedule to fire", async () => {
    fired = (await s.queue.listJobs()).find((job) => job.schedule?.id === "tick");
    return fired !== undefined;
  });
  const spans = tracing.spans.getFinishedSpans();
  const firing = one(spans, "naq fire tick");
  assert.equal(firing.parentSpanContext, undefined, "a firing starts a trace");
  const enqueue = one(spans, "naq enqueue report");
  assert.ok(isChildOf(enqueue, firing));
  const headers = await headersOf(s.services, "jobs", fired!.id);
  assert.equal(headers?.traceparent?.split("-")[2], enqueue.spanContext().spanId);
});
