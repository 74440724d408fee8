import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { freePort, startNats, type ServerHandle } from "#infra";
import { NatsAuthority, natsServerConfig } from "#security";
import { connectNats, ContractBus, NatsCredentialError } from "#transport";
import { testContracts, until } from "./support.js";

const silent = pino({ level: "silent" });

/**
 * One messaging API over two transports: a ws:// connection is the same NatsConnection to
 * ContractBus as a TCP one, authenticated by the same credential, refused the same way.
 */
void describe("connectNats over WebSocket", () => {
  const dir = mkdtempSync(join(tmpdir(), "specfleet-ws-"));
  const authority = NatsAuthority.generate();
  let nats: ServerHandle;
  let wsUrl: string;
  const creds = async (identity: string, role: "admin" | "drafter", from = authority) => {
    const file = join(dir, `${identity}-${role}.creds`);
    writeFileSync(file, (await from.issue(identity, role)).creds, { mode: 0o600 });
    return file;
  };

  before(async () => {
    const accounts = await authority.serverAccounts();
    const port = await freePort();
    wsUrl = `ws://127.0.0.1:${port}`;
    nats = await startNats({
      config: (serverDir) =>
        natsServerConfig(accounts, {
          resolverDir: join(serverDir, "jwt"),
          edge: { websocket: { port, host: "127.0.0.1" } },
        }),
    });
  });

  after(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it("a bus over ws:// and one over TCP talk to each other through their contracts", async () => {
    const { Echo, Noticed } = testContracts();
    const tcp = await connectNats({ url: nats.url, credsFile: await creds("admin", "admin") }, "admin", silent);
    const ws = await connectNats({ url: wsUrl, credsFile: await creds("ws-admin", "admin") }, "ws-admin", silent);
    try {
      const server = new ContractBus(tcp, silent, "admin");
      const client = new ContractBus(ws, silent, "ws-admin");
      server.serve(Echo, "", ({ text, times }) => ({ text: text.repeat(times) }));
      const noticed: string[] = [];
      client.subscribe(Noticed, "", ({ text }) => noticed.push(text));
      await Promise.all([server.flush(), client.flush()]);
      assert.deepEqual(await client.request(Echo, "", { text: "ab", times: 2 }, 2000), { text: "abab" });
      server.publish(Noticed, "", { text: "over tcp" });
      await until(() => noticed.length === 1);
      assert.deepEqual(noticed, ["over tcp"]);
      assert.equal(ws.info?.server_id, tcp.info?.server_id, "the same server");
    } finally {
      await ws.close();
      await tcp.close();
    }
  });

  void it("a drafter's permissions hold over ws://", async () => {
    const ws = await connectNats({ url: wsUrl, credsFile: await creds("edge-1", "drafter") }, "edge-1", silent);
    const refusals: string[] = [];
    void (async () => {
      for await (const status of ws.status()) if (status.type === "error") refusals.push(String(status.data));
    })();
    ws.publish("specfleet.session.any.events.verifier-1", new Uint8Array());
    await ws.flush();
    await until(() => refusals.includes("PERMISSIONS_VIOLATION"));
    await ws.close();
  });

  void it("a credential of another fleet is refused at once, as over TCP, naming the file", async () => {
    const foreign = await creds("edge-2", "drafter", NatsAuthority.generate());
    for (const url of [wsUrl, nats.url])
      await assert.rejects(
        connectNats({ url, credsFile: foreign }, "edge-2", silent, () => undefined),
        (error: unknown) =>
          error instanceof NatsCredentialError &&
          /AUTHORIZATION_VIOLATION/.test(error.message) &&
          error.message.includes(foreign),
      );
  });
});
