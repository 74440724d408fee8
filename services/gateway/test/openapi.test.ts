import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RequestMethod, type DynamicModule, type Type } from "@nestjs/common";
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from "@nestjs/common/constants.js";
import { gatewayConfigSchema, parseConfig } from "#config";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { GatewayModule } from "../src/gateway.module.js";
import { openApiDocument } from "../src/http/openapi.js";

const config = parseConfig(gatewayConfigSchema, {});
const document = openApiDocument(config) as unknown as OpenApiDocument;

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation | unknown>>;
  components?: Record<string, Record<string, unknown>>;
}
interface Operation {
  operationId?: string;
  responses: Record<string, unknown>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Every route the gateway's Nest module serves, as `METHOD /path/{param}`, from its controllers' metadata. */
function servedRoutes(module: DynamicModule): string[] {
  const controllers = new Set<Type>();
  const visit = (m: DynamicModule | Type | undefined) => {
    if (m === undefined) return;
    const dynamic = "module" in m ? m : undefined;
    const moduleClass = dynamic?.module ?? (m as Type);
    for (const c of [
      ...(dynamic?.controllers ?? []),
      ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, moduleClass) as Type[] | undefined) ?? []),
    ])
      controllers.add(c);
    for (const i of [
      ...(dynamic?.imports ?? []),
      ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass) as Type[] | undefined) ?? []),
    ])
      visit(i as DynamicModule | Type);
  };
  visit(module);
  const routes: string[] = [];
  for (const controller of controllers) {
    const bases = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined].flat();
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== "function") continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (method === undefined || paths === undefined) continue;
      for (const base of bases)
        for (const path of [paths].flat())
          routes.push(`${RequestMethod[method]} ${openApiPath(`/${base ?? ""}/${path}`)}`);
    }
  }
  return routes;
}

/** Nest's `/a//b/:id/` as OpenAPI's `/a/b/{id}`. */
function openApiPath(path: string): string {
  const clean = path.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  return clean.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

describe("the OpenAPI document", () => {
  it("documents every route the gateway serves (a route added without its openapi.ts paths fails here)", () => {
    const routes = servedRoutes(GatewayModule.forRoot(config, {} as Logger, {} as ContractBus));
    assert.ok(routes.includes("POST /v1/completions"), `routes found: ${routes.join(", ")}`);
    const missing = routes.filter((route) => {
      const [method, path] = route.split(" ") as [string, string];
      return document.paths[path]?.[method.toLowerCase()] === undefined;
    });
    assert.deepEqual(missing, [], "add these to the capability's openapi.ts (http/openapi.ts gathers them)");
  });

  it("is a structurally valid OpenAPI 3.1 document", () => {
    assert.match(document.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof document.info.title, "string");
    assert.equal(typeof document.info.version, "string");
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      assert.match(path, /^\//, `${path} starts with /`);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      for (const [method, value] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(method)) continue;
        const operation = value as Operation;
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(operation.operationId, `${where} has an operationId`);
        assert.ok(
          !operationIds.has(operation.operationId!),
          `${where}: operationId ${operation.operationId} is unique`,
        );
        operationIds.add(operation.operationId!);
        const statuses = Object.keys(operation.responses ?? {});
        assert.ok(statuses.length > 0, `${where} has responses`);
        for (const status of statuses) assert.match(status, /^([1-5]\d\d|[1-5]XX|default)$/, `${where}: ${status}`);
        for (const name of templated) {
          const parameter = operation.parameters?.find((p) => p.in === "path" && p.name === name);
          assert.ok(parameter?.required === true, `${where} declares its path parameter ${name} as required`);
        }
      }
    }
    // Every $ref points at a component that exists.
    const text = JSON.stringify(document);
    for (const [, kind, name] of text.matchAll(/"\$ref":"#\/components\/([^/"]+)\/([^"]+)"/g)) {
      assert.ok(document.components?.[kind!]?.[name!] !== undefined, `#/components/${kind}/${name} exists`);
    }
  });

  it("describes the completion request with the schema the handler validates with (strict, field limits)", () => {
    const post = document.paths["/v1/completions"]!.post as Operation & {
      requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
    };
    const schema = post.requestBody.content["application/json"]!.schema as {
      additionalProperties?: boolean;
      properties: Record<string, { anyOf?: Array<{ maximum?: number }>; maximum?: number }>;
    };
    assert.equal(schema.additionalProperties, false, "unknown fields are refused");
    const maxTokens = schema.properties.max_tokens!;
    const maximum = maxTokens.maximum ?? maxTokens.anyOf?.find((s) => s.maximum !== undefined)?.maximum;
    assert.equal(maximum, config.GATEWAY_MAX_TOKENS);
    for (const status of ["400", "413", "415"]) assert.ok(post.responses[status], `documents ${status}`);
  });
});
