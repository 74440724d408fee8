import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { edgeLeafConfig, NatsAuthority, natsServerConfig } from "../src/index.js";

const accounts = await NatsAuthority.generate().serverAccounts();
const tls = { certFile: "/s/server.pem", keyFile: "/s/server-key.pem" };

/** The block `name: { … }` of a rendered configuration, or null. */
function block(config: string, name: string): string | null {
  const match = new RegExp(`^${name}: \\{\\n([\\s\\S]*?)^\\}`, "m").exec(config);
  return match ? match[1]! : null;
}

void describe("natsServerConfig: edge listeners", () => {
  void it("has none unless asked", () => {
    const config = natsServerConfig(accounts, { resolverDir: "/r", tls });
    assert.equal(block(config, "websocket"), null);
    assert.equal(block(config, "leafnodes"), null);
  });

  void it("a WebSocket and a leaf-node listener take the server's certificate by default", () => {
    const config = natsServerConfig(accounts, {
      resolverDir: "/r",
      tls,
      edge: { websocket: { port: 8443, host: "0.0.0.0" }, leafnodes: { port: 7422 } },
    });
    const websocket = block(config, "websocket")!;
    assert.match(websocket, /port: 8443\n\s+host: "0\.0\.0\.0"/);
    assert.match(websocket, /tls: \{\n\s+cert_file: "\/s\/server\.pem"\n\s+key_file: "\/s\/server-key\.pem"/);
    assert.doesNotMatch(websocket, /no_tls/);
    const leafnodes = block(config, "leafnodes")!;
    assert.match(leafnodes, /port: 7422/);
    assert.doesNotMatch(leafnodes, /host:/);
    assert.match(leafnodes, /cert_file: "\/s\/server\.pem"/);
    // Operator mode: both authenticate by JWT; no users or authorization of their own.
    assert.doesNotMatch(`${websocket}${leafnodes}`, /authorization|users|no_auth_user/);
  });

  void it("a listener's own certificate wins; without any TLS a WebSocket says no_tls", () => {
    const own = { certFile: "/e/edge.pem", keyFile: "/e/edge-key.pem" };
    const config = natsServerConfig(accounts, { resolverDir: "/r", tls, edge: { websocket: { port: 1, tls: own } } });
    assert.match(block(config, "websocket")!, /cert_file: "\/e\/edge\.pem"/);
    const open = natsServerConfig(accounts, {
      resolverDir: "/r",
      edge: { websocket: { port: 1 }, leafnodes: { port: 2 } },
    });
    assert.match(block(open, "websocket")!, /no_tls: true/);
    assert.doesNotMatch(block(open, "leafnodes")!, /tls/);
  });
});

void describe("edgeLeafConfig", () => {
  void it("joins the hub with the device's credential, trusting the fleet's CA", () => {
    const config = edgeLeafConfig({ hubUrl: "tls://fleet:7422", credsFile: "/d/edge.creds", caFile: "/d/ca.pem" });
    assert.match(config, /remotes: \[\n\s+\{\n\s+url: "tls:\/\/fleet:7422"\n\s+credentials: "\/d\/edge\.creds"/);
    assert.match(config, /tls: \{\n\s+ca_file: "\/d\/ca\.pem"/);
    assert.doesNotMatch(edgeLeafConfig({ hubUrl: "nats://f:7422", credsFile: "/c" }), /tls/);
  });
});
