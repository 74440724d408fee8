import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { acceptsConnections, freePort } from "#infra";

void describe("freePort", () => {
  void it("returns a port that can be listened on at once", async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    assert.equal(await acceptsConnections("127.0.0.1", port), true);
    await new Promise((resolve) => server.close(resolve));
  });

  void it("returns different ports for concurrent callers", async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    assert.ok(new Set(ports).size >= 4, `ports ${ports.join(",")}`);
  });

  void it("reports a closed port as not accepting", async () => {
    assert.equal(await acceptsConnections("127.0.0.1", await freePort()), false);
  });
});
