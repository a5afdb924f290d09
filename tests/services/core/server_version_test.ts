import assert from "node:assert/strict";
import { ConnectionError } from "../../../src/errors.ts";
import { ConnectionService } from "../../../src/services/core/connection_service.ts";
import { ServiceManager } from "../../../src/services/core/service_manager.ts";
import { testConfig, untilConnections } from "../../helpers/config.ts";
import { startNatsServer } from "../../helpers/nats_server.ts";
import { cannotHaveOldNatsServer, oldNatsServerBinary } from "../../helpers/old_nats_server.ts";

Deno.test({
  name: "connecting to nats-server 2.9.10 fails, naming the version found and the minimum",
  ignore: cannotHaveOldNatsServer() !== undefined,
  async fn() {
    await using server = await startNatsServer({ binary: await oldNatsServerBinary() });
    await using services = new ServiceManager(testConfig(server.url));
    await assert.rejects(
      services.get(ConnectionService),
      (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.equal(err.code, "CONNECTION");
        assert.match(
          err.message,
          /^Cannot use the NATS server at 127\.0\.0\.1:\d+: it runs nats-server 2\.9\.10, and naq needs 2\.12\.0 or newer, the oldest it is built and tested for\. Upgrade nats-server/,
        );
        return true;
      },
    );
    await untilConnections(server, 0); // the refused connection was closed
  },
});
