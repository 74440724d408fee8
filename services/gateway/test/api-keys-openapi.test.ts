import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema, parseConfig } from "#config";
import { openApiDocument } from "../src/http/openapi.js";
import { createKeyBodySchema, usageQuerySchema } from "../src/keys/key-schemas.js";
import { rateLimitHeaders, rateLimitHeadersSchema } from "../src/keys/rate-limit-arithmetic.js";

interface Response {
  description: string;
  headers?: Record<string, unknown>;
}
interface Operation {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, Response>;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: {
    content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties?: boolean } }>;
  };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string; bearerFormat?: string }> };
}

const document = openApiDocument(parseConfig(gatewayConfigSchema, {})) as unknown as Document;
const operations = (prefix: string) =>
  Object.entries(document.paths)
    .filter(([path]) => path.startsWith(prefix))
    .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ where: `${method} ${path}`, op })));

describe("the OpenAPI document and API keys", () => {
  it("every /v1 operation takes the bearer API key (optional while none exists), with its 401 and 503", () => {
    const scheme = document.components.securitySchemes.apiKey!;
    assert.deepEqual([scheme.type, scheme.scheme, scheme.bearerFormat], ["http", "bearer", "sk-sf-…"]);
    const v1 = operations("/v1/");
    assert.ok(v1.length >= 3, `found ${v1.length} /v1 operations`);
    for (const { where, op } of v1) {
      assert.deepEqual(op.security, [{ apiKey: [] }, {}], where);
      assert.match(op.responses["401"]?.description ?? "", /invalid_api_key/, where);
      assert.match(op.responses["503"]?.description ?? "", /key_store_unavailable/, where);
      assert.ok(op.responses["503"]?.headers?.["Retry-After"], `${where}: 503 has Retry-After`);
    }
  });

  it("completions and chat document OpenAI's x-ratelimit-* headers and the limit's 429, beside their own 429", () => {
    const names = Object.keys(rateLimitHeadersSchema.shape);
    // What the gateway sends is what the document names (the same schema types both).
    assert.deepEqual(
      Object.keys(rateLimitHeaders({ limit: 6, used: 1 }, { limit: 600, used: 10 })).sort(),
      [...names].sort(),
    );
    for (const path of ["/v1/completions", "/v1/chat/completions"]) {
      const post = document.paths[path]!.post!;
      for (const status of ["200", "429"])
        for (const name of names) assert.ok(post.responses[status]!.headers?.[name], `${path} ${status}: ${name}`);
      assert.ok(post.responses["429"]!.headers?.["Retry-After"], `${path} 429: Retry-After`);
      assert.match(post.responses["429"]!.description, /queue_full/, "the route's own 429 is kept");
      assert.match(post.responses["429"]!.description, /rate_limit_exceeded/);
    }
    // Other /v1 routes are not admitted per minute: no x-ratelimit-* there.
    assert.equal(document.paths["/v1/models"]!.get!.responses["200"]!.headers, undefined);
  });

  it("the admin API for keys needs the admin token and takes the bodies the handlers validate with", () => {
    const admin = operations("/admin/keys");
    assert.equal(admin.length, 7, admin.map((o) => o.where).join(", "));
    for (const { where, op } of admin) {
      assert.deepEqual(op.security, [{ adminToken: [] }], where);
      assert.ok(op.responses["401"], `${where}: 401`);
    }
    const create = document.paths["/admin/keys"]!.post!;
    const body = create.requestBody!.content["application/json"]!.schema;
    assert.deepEqual(Object.keys(body.properties).sort(), Object.keys(createKeyBodySchema.shape).sort());
    assert.equal(body.additionalProperties, false, "unknown fields are refused");
    assert.ok(create.responses["201"] && create.responses["400"]);
    const usage = document.paths["/admin/keys/{id}/usage"]!.get!;
    assert.deepEqual(
      usage.parameters!.filter((p) => p.in === "query").map((p) => p.name),
      Object.keys(usageQuerySchema.shape),
    );
  });
});
