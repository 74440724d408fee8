import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearerToken, sameSecret, SecretToken } from "#http";

void describe("SecretToken and sameSecret", () => {
  const secret = "s3cret-admin-token";
  const token = new SecretToken(secret);

  void it("match the secret only", () => {
    assert.ok(token.matches(secret));
    assert.ok(sameSecret(secret, secret));
    for (const other of [
      "",
      "s3cret-admin-toke",
      "s3cret-admin-tokenx",
      "S3cret-admin-token",
      `${secret} `,
      "x".repeat(10_000),
    ]) {
      assert.equal(token.matches(other), false, other.slice(0, 30));
      assert.equal(sameSecret(other, secret), false, other.slice(0, 30));
    }
  });

  void it("compare inputs of any length without throwing (timingSafeEqual needs equal lengths: digests)", () => {
    assert.doesNotThrow(() => token.matches("a"));
    assert.doesNotThrow(() => sameSecret("a", "a much longer secret"));
    assert.ok(sameSecret("ünïcødé-tøken", "ünïcødé-tøken"));
  });
});

void describe("bearerToken", () => {
  const cases: Array<[string | undefined, string | null]> = [
    ["Bearer abc", "abc"],
    ["bearer  abc ", "abc"],
    ["Basic abc", null],
    ["Bearer a b", null],
    ["Bearer", null],
    [undefined, null],
  ];
  for (const [header, expected] of cases) void it(String(header), () => assert.equal(bearerToken(header), expected));
});
