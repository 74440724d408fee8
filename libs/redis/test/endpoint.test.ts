import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeEndpoint, endpointParts, refusalOf } from "#redis";

void describe("endpointParts", () => {
  const cases: [string, Parameters<typeof endpointParts>[0], ReturnType<typeof endpointParts>][] = [
    ["a bare URL", "redis://127.0.0.1:6379", { url: "redis://127.0.0.1:6379", options: {} }],
    [
      "a bare URL keeps its credentials, out of the URL",
      "redis://u:p%40ss@127.0.0.1:6379/2",
      { url: "redis://127.0.0.1:6379/2", options: { username: "u", password: "p@ss" } },
    ],
    [
      "the endpoint's credentials win over the URL's",
      { url: "redis://u:old@h:1", username: "gateway", password: "new" },
      { url: "redis://h:1", options: { username: "gateway", password: "new" } },
    ],
    [
      "a CA makes TLS options",
      { url: "rediss://h:6380", tlsCa: "PEM" },
      { url: "rediss://h:6380", options: { tls: { ca: "PEM" } } },
    ],
  ];
  for (const [name, endpoint, expected] of cases)
    void it(name, () => assert.deepEqual(endpointParts(endpoint), expected));

  void it("describes an endpoint for logs without its password", () => {
    const text = describeEndpoint({ url: "redis://h:1", username: "registry", password: "s3cret" });
    assert.equal(text, "redis://h:1 (user registry)");
  });
});

void describe("refusalOf", () => {
  const cases: [string, string, string | null][] = [
    ["WRONGPASS invalid username-password pair or user is disabled.", "wrong-credentials", "REDIS_PASSWORD_FILE"],
    ["NOAUTH Authentication required.", "needs-password", "REDIS_PASSWORD_FILE"],
    ["NOPERM this user has no permissions to run the 'info' command", "no-permission", "aclfile"],
    ["connect ECONNREFUSED 127.0.0.1:6379", "", null],
  ];
  for (const [reply, kind, hint] of cases)
    void it(`${reply.split(" ")[0]}: ${kind || "an outage, keep reconnecting"}`, () => {
      const refusal = refusalOf(new Error(reply), "gateway", "gateway");
      if (hint === null) return assert.equal(refusal, null);
      assert.equal(refusal?.kind, kind);
      assert.match(refusal?.message ?? "", new RegExp(hint));
    });
});
