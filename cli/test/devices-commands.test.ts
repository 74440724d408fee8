import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import yargs from "yargs";
import { devicesCommands, type DevicesIo } from "../devices/commands.js";
import { credentialsTable, parseExpiresIn, type ListedCredential } from "../devices/device-output.js";

const KEY = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";
const CREDS = "-----BEGIN NATS USER JWT-----\neyJ0eXAi.fake.jwt\n------END NATS USER JWT------\nSUAFAKESEED\n";

function credential(overrides: Partial<ListedCredential> = {}): ListedCredential {
  return {
    device_id: "jetson-7",
    role: "drafter",
    public_key: KEY,
    status: "active",
    issued_at: 1_700_000_000,
    expires_at: null,
    revoked_at: null,
    revoked_reason: null,
    note: "lab bench",
    device: null,
    ...overrides,
  };
}

interface Call {
  gateway: string;
  adminToken: string | undefined;
  method: string;
  path: string;
  body: unknown;
}

/** The commands over a fake admin API that records each call and answers `answer`. */
async function runDevices(argv: string[], answer: unknown = {}, env: NodeJS.ProcessEnv = {}) {
  const calls: Call[] = [];
  let out = "";
  const failures: string[] = [];
  const io: DevicesIo = {
    client: (gateway, adminToken) => ({
      call: <T>(method: string, path: string, body?: unknown) => {
        calls.push({ gateway, adminToken, method, path, body });
        return Promise.resolve(answer as T);
      },
    }),
    out: (text) => (out += text),
    fail: (message) => failures.push(message),
  };
  const parser = devicesCommands(yargs().exitProcess(false), io, env)
    .strict()
    .fail((message, error) => {
      throw error ?? new Error(message);
    });
  await parser.parseAsync(argv);
  return { calls, out, failures };
}

void describe("specfleet devices", () => {
  const dir = mkdtempSync(join(tmpdir(), "specfleet-devices-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it("issue asks the admin API with the device, role, expiry in seconds and note", async () => {
    const out = join(dir, "jetson-7.creds");
    const { calls, failures } = await runDevices(
      ["issue", "jetson-7", "--role", "drafter", "--expires-in", "30d", "--note", "lab bench", "--out", out],
      { ...credential(), creds: CREDS },
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(calls, [
      {
        gateway: "http://127.0.0.1:8080",
        adminToken: undefined,
        method: "POST",
        path: "/admin/credentials",
        body: { device_id: "jetson-7", role: "drafter", expires_in_s: 30 * 86_400, note: "lab bench" },
      },
    ]);
  });

  void it("issue writes the .creds file 0600 and prints its path and public key, never the secret", async () => {
    const out = join(dir, "printed.creds");
    const { out: printed } = await runDevices(["issue", "jetson-7", "--role", "drafter", "--out", out], {
      ...credential(),
      creds: CREDS,
    });
    assert.equal(readFileSync(out, "utf8"), CREDS);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.match(printed, new RegExp(`wrote ${out}`));
    assert.match(printed, new RegExp(KEY));
    assert.doesNotMatch(printed, /SUAFAKESEED|fake\.jwt/);
  });

  void it("--json prints the credential and the file, not the creds", async () => {
    const out = join(dir, "json.creds");
    const { out: printed } = await runDevices(["issue", "jetson-7", "--role", "verifier", "--out", out, "--json"], {
      ...credential({ role: "verifier" }),
      creds: CREDS,
    });
    const json = JSON.parse(printed) as Record<string, unknown>;
    assert.equal(json.creds_file, out);
    assert.equal(json.creds, undefined);
    assert.doesNotMatch(printed, /SUAFAKESEED/);
  });

  void it("issue refuses to overwrite a file without --force, before asking for a credential", async () => {
    const out = join(dir, "taken.creds");
    writeFileSync(out, "another device's credential", { mode: 0o644 });
    const refused = await runDevices(["issue", "jetson-7", "--role", "drafter", "--out", out], {
      ...credential(),
      creds: CREDS,
    });
    assert.equal(refused.calls.length, 0, "no credential issued (issuing rotates the device's old one)");
    assert.match(refused.failures[0] ?? "", /exists: give --force/);
    assert.equal(readFileSync(out, "utf8"), "another device's credential");

    const forced = await runDevices(["issue", "jetson-7", "--role", "drafter", "--out", out, "--force"], {
      ...credential(),
      creds: CREDS,
    });
    assert.deepEqual(forced.failures, []);
    assert.equal(readFileSync(out, "utf8"), CREDS);
    assert.equal(statSync(out).mode & 0o777, 0o600, "the replaced file is the owner's only");
  });

  void it("issue needs --role, one of drafter or verifier", async () => {
    await assert.rejects(runDevices(["issue", "jetson-7"]), /role/);
    await assert.rejects(runDevices(["issue", "jetson-7", "--role", "gateway"]), /Choices/);
  });

  void it("a bad --expires-in is refused with what to write, and nothing is issued", async () => {
    const { calls, failures } = await runDevices(["issue", "x", "--role", "drafter", "--expires-in", "soon"]);
    assert.equal(calls.length, 0);
    assert.match(failures[0] ?? "", /--expires-in 'soon'.*30d/);
  });

  void it("revoke sends DELETE with the reason, the id escaped; --gateway and SPECFLEET_ADMIN_TOKEN are used", async () => {
    const { calls, out } = await runDevices(
      ["revoke", "jetson-7", "--reason", "stolen", "--gateway", "http://gw:9000"],
      credential({ status: "revoked", revoked_at: 1_700_000_100, revoked_reason: "stolen" }),
      { SPECFLEET_ADMIN_TOKEN: "admin-secret" },
    );
    assert.deepEqual(calls, [
      {
        gateway: "http://gw:9000",
        adminToken: "admin-secret",
        method: "DELETE",
        path: "/admin/credentials/jetson-7",
        body: { reason: "stolen" },
      },
    ]);
    assert.match(out, /revoked jetson-7 \(drafter, UDXU4RCSJNZO…\).*reason: stolen/);
  });

  void it("list prints a table: status, expiry, where the device stands, note or reason", async () => {
    const { out } = await runDevices(["list"], {
      data: [
        credential({ device: { state: "healthy", draining: false, last_seen_at: 0 } }),
        credential({
          device_id: "old-box",
          status: "revoked",
          revoked_at: 1_700_000_060,
          revoked_reason: "rotated",
          expires_at: 1_800_000_000,
        }),
      ],
    });
    const [header, first, second] = out.trimEnd().split("\n");
    assert.match(header!, /^DEVICE\s+ROLE\s+STATUS\s+ISSUED \(UTC\)\s+EXPIRES \(UTC\)\s+IN THE FLEET\s+PUBLIC KEY/);
    assert.match(
      first!,
      /^jetson-7\s+drafter\s+active\s+2023-11-14 22:13\s+never\s+healthy\s+UDXU4RCSJNZO…\s+lab bench$/,
    );
    assert.match(
      second!,
      /^old-box\s+drafter\s+revoked 2023-11-14 22:14\s+.*2027-01-15 08:00\s+not registered\s+.*rotated$/,
    );
  });

  void it("an empty list says how to issue one", () => {
    assert.match(credentialsTable([]), /specfleet devices issue <device-id>/);
  });

  void it("parses --expires-in: seconds or a number with s, m, h, d, w", () => {
    const cases: Array<[string, number | RegExp]> = [
      ["3600", 3600],
      ["90s", 90],
      ["45m", 2700],
      ["12h", 43_200],
      ["30d", 2_592_000],
      ["2W", 1_209_600],
      ["0", /positive duration/],
      ["-5d", /positive duration/],
      ["1.5h", /positive duration/],
      ["3y", /positive duration/],
      ["", /positive duration/],
    ];
    for (const [input, expected] of cases) {
      if (typeof expected === "number") assert.equal(parseExpiresIn(input), expected, input);
      else assert.throws(() => parseExpiresIn(input), expected, input);
    }
  });
});
