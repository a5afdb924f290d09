import assert from "node:assert/strict";
import { JetStreamApiCodes, JetStreamApiError, PubHeaders } from "@nats-io/jetstream";
import { ClosedConnectionError, headers, RequestError } from "@nats-io/nats-core";
import { ConnectionService } from "../../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { StreamService } from "../../../src/services/core/stream_service.ts";
import { StreamPublisher } from "../../../src/services/core/stream_publisher.ts";
import { testConfig } from "../../helpers/config.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";

const body = new TextEncoder().encode("{}");

function expectingNone(subject: string) {
  const h = headers();
  h.set(PubHeaders.ExpectedLastSubjectSequenceHdr, "0");
  h.set(PubHeaders.ExpectedLastSubjectSequenceSubjectHdr, subject);
  return h;
}

Deno.test("StreamPublisher: stored, refused, unanswered and closed, as nats.js's publish fails", async () => {
  await using server = await startNatsServer();
  const services = new ServiceManager(testConfig(server.url));
  await (await services.get(StreamService)).ensure({
    name: "pub",
    subjects: ["pub.>"],
    retention: "workqueue",
  });
  const { nc } = await services.get(ConnectionService);
  const publisher = new StreamPublisher(nc);

  const acks = await Promise.all(
    ["pub.a", "pub.b", "pub.c"].map((subject) =>
      publisher.publish(subject, body, expectingNone(subject))
    ),
  );
  assert.deepEqual(acks.map((ack) => [ack.stream, ack.seq, ack.duplicate]), [
    ["pub", 1, false],
    ["pub", 2, false],
    ["pub", 3, false],
  ]);

  // the compare-and-swap refuses a second message on the subject, with the server's code
  await assert.rejects(
    publisher.publish("pub.a", body, expectingNone("pub.a")),
    (err) =>
      err instanceof JetStreamApiError &&
      err.code === JetStreamApiCodes.StreamWrongLastSequence,
  );
  // no stream takes the subject: no responders, which callers wait out as a missing leader
  await assert.rejects(
    publisher.publish("nowhere.x", body, headers()),
    (err) => err instanceof RequestError && err.isNoResponders(),
  );
  // over max_payload: nats.js's own error, which naq's callers recognize by its words
  await assert.rejects(
    publisher.publish("pub.big", new Uint8Array(nc.info!.max_payload + 1), headers()),
    /max_payload/,
  );

  await services.close();
  await assert.rejects(
    publisher.publish("pub.d", body, headers()),
    (err) => err instanceof ClosedConnectionError,
  );
});
