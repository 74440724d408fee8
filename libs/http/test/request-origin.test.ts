import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crossSiteReason, HostAllowList, hostNameOf, isLoopbackHostHeader } from "#http";

void describe("hostNameOf", () => {
  const cases: Array<[string | undefined, string | null]> = [
    ["127.0.0.1:8080", "127.0.0.1"],
    ["Gateway.Example.COM:443", "gateway.example.com"],
    ["gateway.example.com.", "gateway.example.com"],
    ["[::1]:8080", "[::1]"],
    ["::1", "[::1]"],
    ["2001:db8::1", "[2001:db8::1]"],
    ["[2001:db8::1", null],
    ["", null],
    [undefined, null],
  ];
  for (const [host, name] of cases)
    void it(`${String(host)} → ${String(name)}`, () => assert.equal(hostNameOf(host), name));
});

void describe("isLoopbackHostHeader", () => {
  void it("knows the names only this machine reaches", () => {
    for (const host of ["127.0.0.1:8081", "localhost:8081", "LOCALHOST", "[::1]:8081", "127.0.0.2", "localhost."])
      assert.ok(isLoopbackHostHeader(host), host);
    for (const host of [
      "rebound.example:8081",
      "127.0.0.1.evil.example",
      "localhost.evil.example",
      "10.0.0.1",
      undefined,
    ])
      assert.equal(isLoopbackHostHeader(host), false, String(host));
  });
});

void describe("HostAllowList", () => {
  const list = new HostAllowList(["gateway.example.com", ".fleet.internal", "10.0.0.5", "fe80::1", "[2001:db8::1]"]);
  void it("allows loopback names and the names given, any port", () => {
    for (const host of [
      "127.0.0.1:8080",
      "localhost",
      "gateway.example.com:8443",
      "GATEWAY.example.com",
      "fleet.internal",
      "gw.eu.fleet.internal:80",
      "10.0.0.5:8080",
      "[fe80::1]:8080",
      "[2001:db8::1]",
    ])
      assert.ok(list.allows(host), host);
  });

  void it("refuses any other name (a page that rebound its own name), and none", () => {
    for (const host of [
      "rebound.example",
      "gateway.example.com.evil.example",
      "evilfleet.internal",
      "10.0.0.6",
      "[fe80::2]",
      "",
      undefined,
    ])
      assert.equal(list.allows(host), false, String(host));
    assert.equal(new HostAllowList().allows("gateway.example.com"), false, "loopback only by default");
  });
});

void describe("crossSiteReason", () => {
  const action = "change this";
  const cases: Array<[string, Record<string, string>, RegExp | null]> = [
    ["its own origin", { host: "127.0.0.1:8081", origin: "http://127.0.0.1:8081" }, null],
    ["its own origin, other case", { host: "LOCALHOST:8081", origin: "http://localhost:8081" }, null],
    ["no Origin (curl, the CLI)", { host: "127.0.0.1:8081" }, null],
    ["another site", { host: "127.0.0.1:8081", origin: "http://evil.example" }, /evil\.example may not change this/],
    ["another port", { host: "127.0.0.1:8081", origin: "http://127.0.0.1:9999" }, /127\.0\.0\.1:9999/],
    ["an opaque origin", { host: "127.0.0.1:8081", origin: "null" }, /opaque origin/],
    ["not a URL", { host: "127.0.0.1:8081", origin: "garbage" }, /not a URL/],
    ["Sec-Fetch-Site cross-site", { host: "127.0.0.1:8081", "sec-fetch-site": "cross-site" }, /cross-site request/],
    ["Sec-Fetch-Site same-site", { host: "127.0.0.1:8081", "sec-fetch-site": "same-site" }, /same-site request/],
    ["Sec-Fetch-Site same-origin", { host: "127.0.0.1:8081", "sec-fetch-site": "same-origin" }, null],
    ["Sec-Fetch-Site none (typed in)", { host: "127.0.0.1:8081", "sec-fetch-site": "none" }, null],
  ];
  for (const [name, headers, expected] of cases)
    void it(name, () => {
      const reason = crossSiteReason(headers, action);
      if (expected === null) assert.equal(reason, null);
      else assert.match(reason ?? "", expected);
    });
});
