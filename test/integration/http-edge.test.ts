import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { MODEL, startTestFleet } from "../support/fleet.js";
import { rawRequest } from "../support/raw-http.js";

const HEADERS_TIMEOUT_MS = 1500;
const REQUEST_TIMEOUT_MS = 2500;

interface Fuzz {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  status: number;
  code?: string;
  param?: string;
}

const json = (body: unknown) => JSON.stringify(body);
const completion = (fields: Record<string, unknown>) =>
  json({ model: MODEL, prompt: "Once", max_tokens: 4, ...fields });
const JSON_TYPE = { "Content-Type": "application/json" };

/** Malformed requests of every kind: each gets a 4xx in OpenAI's shape, and the gateway stays up. */
const FUZZ: Fuzz[] = [
  {
    name: "text/plain (a cross-site POST)",
    headers: { "Content-Type": "text/plain" },
    body: completion({}),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "a form post",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "model=x&prompt=y",
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "multipart on a JSON route",
    headers: { "Content-Type": "multipart/form-data; boundary=x" },
    body: "--x--",
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "charset=latin1",
    headers: { "Content-Type": "application/json; charset=latin1" },
    body: completion({}),
    status: 415,
    code: "unsupported_charset",
  },
  {
    name: "a bogus Content-Encoding",
    headers: { ...JSON_TYPE, "Content-Encoding": "bogus" },
    body: completion({}),
    status: 415,
    code: "unsupported_content_encoding",
  },
  {
    name: "gzip that is not gzip",
    headers: { ...JSON_TYPE, "Content-Encoding": "gzip" },
    body: completion({}),
    status: 400,
  },
  { name: "broken JSON", headers: JSON_TYPE, body: '{"model": ', status: 400, code: "invalid_json" },
  { name: "JSON that is not an object", headers: JSON_TYPE, body: "[1,2]", status: 400 },
  { name: "JSON null", headers: JSON_TYPE, body: "null", status: 400 },
  {
    name: "a body over the limit",
    headers: JSON_TYPE,
    body: json({ model: MODEL, prompt: "x".repeat(80_000) }),
    status: 413,
    code: "body_too_large",
  },
  { name: "an unknown field", headers: JSON_TYPE, body: completion({ max_token: 5 }), status: 400, param: "max_token" },
  {
    name: "frequency_penalty 0.5",
    headers: JSON_TYPE,
    body: completion({ frequency_penalty: 0.5 }),
    status: 400,
    param: "frequency_penalty",
  },
  {
    name: "logit_bias",
    headers: JSON_TYPE,
    body: completion({ logit_bias: { "1": 5 } }),
    status: 400,
    param: "logit_bias",
  },
  { name: "suffix", headers: JSON_TYPE, body: completion({ suffix: "the end" }), status: 400, param: "suffix" },
  {
    name: "max_tokens as a string",
    headers: JSON_TYPE,
    body: completion({ max_tokens: "5" }),
    status: 400,
    param: "max_tokens",
  },
  { name: "PUT on completions", method: "PUT", headers: JSON_TYPE, body: completion({}), status: 404 },
  { name: "DELETE on models", method: "DELETE", path: "/v1/models", status: 404 },
  { name: "GET on completions", method: "GET", status: 404 },
  { name: "an unknown path", path: "/v2/nothing", headers: JSON_TYPE, body: "{}", status: 404 },
  { name: "a path that does not decode", path: "/admin/devices/%E0%A4%A/drain", status: 400 },
  { name: "a docs file that is not one", method: "GET", path: "/docs/..%2F..%2Fpackage.json", status: 404 },
];

describe("the HTTP edge", () => {
  let fleet: LocalFleet;

  before(async () => {
    fleet = await startTestFleet("http-edge", {
      verifiers: 1,
      drafters: 1,
      maxSessions: 2,
      serviceEnv: {
        gateway: {
          GATEWAY_BODY_LIMIT: "64kb",
          GATEWAY_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
          GATEWAY_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
          GATEWAY_MAX_HEADER_BYTES: "8192",
        },
      },
    });
  });

  after(async () => {
    await fleet?.stop();
  });

  for (const fuzz of FUZZ) {
    it(`${fuzz.name}: ${fuzz.status}`, async () => {
      const response = await fetch(`${fleet.gatewayUrl}${fuzz.path ?? "/v1/completions"}`, {
        method: fuzz.method ?? "POST",
        headers: fuzz.headers,
        body: fuzz.body,
      });
      const body = (await response.json()) as {
        error?: { message: string; type: string; param: string | null; code: string | null };
      };
      assert.equal(response.status, fuzz.status, JSON.stringify(body));
      assert.equal(typeof body.error?.message, "string", "OpenAI's error object");
      assert.equal(body.error?.type, "invalid_request_error");
      if (fuzz.code) assert.equal(body.error?.code, fuzz.code);
      if (fuzz.param) {
        assert.equal(body.error?.param, fuzz.param);
        assert.match(body.error!.message, new RegExp(fuzz.param));
      }
    });
  }

  it("serves defaults that clients send (null max_tokens, zero penalties, empty logit_bias), and JSON as *+json", async () => {
    for (const [contentType, fields] of [
      [
        "application/json",
        { max_tokens: null, frequency_penalty: 0, presence_penalty: 0, logit_bias: {}, suffix: null, n: 1, user: "u" },
      ],
      ["application/vnd.specfleet+json; charset=utf-8", { temperature: 0 }],
    ] as const) {
      const response = await fetch(`${fleet.gatewayUrl}/v1/completions`, {
        method: "POST",
        headers: { "Content-Type": contentType },
        body: json({ model: MODEL, prompt: "Once upon a time", temperature: 0, ...fields }),
      });
      const body = (await response.json()) as {
        choices?: Array<{ text: string }>;
        usage?: { completion_tokens: number };
      };
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.ok(body.usage!.completion_tokens > 0 && body.usage!.completion_tokens <= 16, "max_tokens null is 16");
    }
  });

  it("reads a gzipped JSON body", async () => {
    const response = await fetch(`${fleet.gatewayUrl}/v1/completions`, {
      method: "POST",
      headers: { ...JSON_TYPE, "Content-Encoding": "gzip" },
      body: gzipSync(completion({ temperature: 0 })),
    });
    assert.equal(response.status, 200, await response.clone().text());
  });

  it("answers a request line that is not HTTP with a 400 in OpenAI's shape", async () => {
    const response = await rawRequest(fleet.gatewayUrl, ["HELLO THERE\r\n\r\n"]);
    assert.equal(response.status, 400);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, "bad_http_request");
  });

  it("answers headers over GATEWAY_MAX_HEADER_BYTES with a 431", async () => {
    const response = await rawRequest(fleet.gatewayUrl, [
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(10_000)}\r\nConnection: close\r\n\r\n`,
    ]);
    assert.equal(response.status, 431);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, "headers_too_large");
  });

  it("cuts off a client that sends its headers too slowly (408)", async () => {
    const response = await rawRequest(fleet.gatewayUrl, [
      "GET /healthz HTTP/1.1\r\nHost: x\r\n",
      { pauseMs: HEADERS_TIMEOUT_MS * 4 },
      "Connection: close\r\n\r\n",
    ]);
    assert.equal(response.status, 408, response.body);
    assert.ok(response.closedByServer);
    assert.ok(response.elapsedMs >= HEADERS_TIMEOUT_MS, `not before the timeout (${response.elapsedMs} ms)`);
    assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, "request_timeout");
  });

  it("cuts off a body that stalls (408), and never hands it to a handler", async () => {
    const body = completion({});
    const response = await rawRequest(fleet.gatewayUrl, [
      `POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body.slice(0, 10),
      { pauseMs: REQUEST_TIMEOUT_MS * 4 },
      body.slice(10),
    ]);
    assert.equal(response.status, 408, response.body);
    assert.ok(response.closedByServer);
    assert.ok(response.elapsedMs >= REQUEST_TIMEOUT_MS, `not before the timeout (${response.elapsedMs} ms)`);
  });

  it("serves the OpenAPI document and its browsable page without any CDN", async () => {
    const document = (await (await fetch(`${fleet.gatewayUrl}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.match(document.openapi, /^3\.1/);
    assert.ok(document.paths["/v1/completions"]);
    const page = await (await fetch(`${fleet.gatewayUrl}/docs`)).text();
    assert.doesNotMatch(page, /https?:\/\//, "every asset from this gateway");
    for (const asset of page.matchAll(/(?:href|src)="(\/docs\/[^"]+)"/g)) {
      const response = await fetch(`${fleet.gatewayUrl}${asset[1]}`);
      assert.equal(response.status, 200, asset[1]);
      await response.body?.cancel();
    }
  });

  it("is still up and serving after all of it", async () => {
    assert.equal(fleet.processes.get("gateway")?.running, true);
    assert.equal((await fetch(`${fleet.gatewayUrl}/healthz`)).status, 200);
    const response = await fetch(`${fleet.gatewayUrl}/v1/completions`, {
      method: "POST",
      headers: JSON_TYPE,
      body: completion({ temperature: 0 }),
    });
    assert.equal(response.status, 200);
  });
});
