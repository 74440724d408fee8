import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RemoteError } from "#contracts";
import { NoResponderError, PeerError, RequestTimeoutError } from "#transport";
import { fromAuthorityFailure, fromAuthorityRefusal } from "../src/admin/credentials/credential-errors.js";

/** How the credential authority's answers become the admin API's statuses (issue 14 item 4). */
void describe("credential errors", () => {
  void it("maps each refusal of the registry to a status, type, code and param", () => {
    const cases: Array<[RemoteError["code"], number, string, string | null, string | null]> = [
      ["not_found", 404, "invalid_request_error", "device_not_found", "device_id"],
      ["not_configured", 501, "server_error", "no_credential_authority", null],
      ["bad_request", 400, "invalid_request_error", null, "device_id"],
      ["internal", 500, "server_error", "internal_error", null],
    ];
    for (const [code, status, type, errorCode, param] of cases) {
      const error = fromAuthorityRefusal({ code, message: `the registry says ${code}` });
      assert.deepEqual(
        [error.status, error.type, error.code, error.param, error.message],
        [status, type, errorCode, param, `the registry says ${code}`],
        code,
      );
    }
  });

  void it("a registry that does not answer is a 503 worth retrying", () => {
    for (const failure of [
      new NoResponderError("specfleet.credentials.issue"),
      new RequestTimeoutError("specfleet.credentials.issue", 10_000),
    ]) {
      const error = fromAuthorityFailure(failure);
      assert.equal(error.status, 503, failure.name);
      assert.equal(error.code, "registry_unavailable");
      assert.equal(error.retryAfterSeconds, 1);
    }
  });

  void it("an error the registry raised keeps its code's status; anything else is a 500 saying nothing of it", () => {
    const peer = fromAuthorityFailure(
      new PeerError("specfleet.credentials.revoke", { code: "forbidden", message: "not yours" }),
    );
    assert.equal(peer.status, 500);
    assert.equal(peer.code, "fleet_forbidden");
    const other = fromAuthorityFailure(new Error("SUAFAKESEED leaked?"));
    assert.equal(other.status, 500);
    assert.doesNotMatch(other.message, /SUAFAKESEED/);
  });
});
