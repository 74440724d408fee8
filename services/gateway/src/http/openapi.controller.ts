import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Controller, Get, Header, Inject, Param, Res } from "@nestjs/common";
import type { Response } from "express";
import type { GatewayConfig } from "#config";
import { GATEWAY_CONFIG } from "../tokens.js";
import { HttpApiError } from "#http";
import { openApiDocument } from "./openapi.js";

/** Swagger UI's files, from the installed package (fleets run offline: no CDN). */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS = new Set([
  "swagger-ui.css",
  "swagger-ui-bundle.js",
  "swagger-ui-standalone-preset.js",
  "favicon-32x32.png",
  "favicon-16x16.png",
]);

/** `GET /openapi.json` and the page that browses it, `GET /docs`. */
@Controller()
export class OpenApiController {
  private document: ReturnType<typeof openApiDocument> | undefined;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Get("openapi.json")
  openApi() {
    return (this.document ??= openApiDocument(this.config));
  }

  @Get("docs")
  @Header("Content-Type", "text/html; charset=utf-8")
  page(): string {
    return DOCS_PAGE;
  }

  @Get("docs/:asset")
  asset(@Param("asset") asset: string, @Res() res: Response): void {
    if (!ASSETS.has(asset))
      throw new HttpApiError(404, `no file '${asset}' here`, "invalid_request_error", "not_found");
    res.sendFile(join(SWAGGER_UI_DIR, asset), { maxAge: "1h" });
  }
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>SpecFleet API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  </script>
</body>
</html>
`;
