import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasRequestBody, isJsonContentType, mediaTypeOf } from "#http";

void describe("request bodies", () => {
  void it("has a body when its length is above 0 or it is chunked", () => {
    assert.equal(hasRequestBody({}), false);
    assert.equal(hasRequestBody({ "content-length": "0" }), false);
    assert.equal(hasRequestBody({ "content-length": "2" }), true);
    assert.equal(hasRequestBody({ "transfer-encoding": "chunked" }), true);
    assert.equal(hasRequestBody({ "content-length": "garbage" }), true, "an unreadable length is no promise of none");
  });

  void it("reads the media type of a Content-Type, and which are JSON", () => {
    assert.equal(mediaTypeOf("Text/Plain; charset=utf-8"), "text/plain");
    assert.equal(mediaTypeOf(undefined), "");
    for (const json of ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"])
      assert.ok(isJsonContentType(json), json);
    for (const other of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", undefined])
      assert.equal(isJsonContentType(other), false, String(other));
  });
});
