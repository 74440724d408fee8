import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DashboardAuth } from "../src/auth/dashboard-auth.js";
import { cookieValue, sessionCookieHeader, SessionSigner } from "../src/auth/session-cookie.js";

void describe("SessionSigner", () => {
  const signer = new SessionSigner(Buffer.alloc(32, 7));

  void it("verifies its own cookie until it expires", () => {
    const value = signer.sign("viewer", 1000);
    assert.equal(signer.verify(value, 999), "viewer");
    assert.equal(signer.verify(value, 1000), null);
  });

  void it("refuses a forged or altered cookie, and another process's", () => {
    const value = signer.sign("viewer", 1000);
    const [, mac] = value.split(".");
    const forged = `${Buffer.from(JSON.stringify({ role: "admin", exp: 1000 })).toString("base64url")}.${mac}`;
    assert.equal(signer.verify(forged, 0), null);
    assert.equal(signer.verify(`${value}x`, 0), null);
    assert.equal(signer.verify("garbage", 0), null);
    assert.equal(new SessionSigner().verify(value, 0), null, "a restarted dashboard draws a new secret");
  });

  void it("writes an HttpOnly SameSite=Strict cookie, Secure over HTTPS, and clears it", () => {
    assert.match(
      sessionCookieHeader("v", false),
      /^specfleet_dashboard=v; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    assert.match(sessionCookieHeader("v", true), /; Secure$/);
    assert.match(sessionCookieHeader(null, false), /Max-Age=0/);
    assert.equal(cookieValue("a=1; specfleet_dashboard=abc.def; b=2", "specfleet_dashboard"), "abc.def");
    assert.equal(cookieValue(undefined, "specfleet_dashboard"), undefined);
  });
});

void describe("DashboardAuth", () => {
  const auth = new DashboardAuth({ admin: "admin-token", viewer: "viewer-token" });

  void it("gives each token its role, by bearer or by the login's cookie", () => {
    assert.equal(auth.roleOf({ authorization: "Bearer admin-token" }), "admin");
    assert.equal(auth.roleOf({ authorization: "bearer viewer-token" }), "viewer");
    assert.equal(auth.roleOf({ authorization: "Bearer admin-tokenx" }), null);
    assert.equal(auth.roleOf({}), null);
    assert.equal(auth.roleOf({ cookie: `specfleet_dashboard=${auth.sessionFor("viewer")}` }), "viewer");
    assert.equal(auth.roleOfToken("viewer-token"), "viewer");
  });

  void it("makes everyone an admin when no token is configured", () => {
    const open = new DashboardAuth({});
    assert.equal(open.open, true);
    assert.equal(open.roleOf({}), "admin");
    assert.equal(auth.open, false);
  });
});
