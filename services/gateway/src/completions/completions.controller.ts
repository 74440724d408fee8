import { Body, Controller, HttpCode, Inject, Post, Res } from "@nestjs/common";
import type { Response } from "express";
import type { GatewayConfig } from "#config";
import { parseCompletionRequest } from "./completion-request.js";
import { textCompletionChunks } from "./completion-body.js";
import { sendEventStream } from "./event-stream.js";
import { TextCompletions } from "./text-completions.js";
import { clientGoneSignal } from "./client-gone.js";
import { GATEWAY_CONFIG } from "../tokens.js";

/** OpenAI-compatible `POST /v1/completions`, whole or streamed as server-sent events. */
@Controller("v1")
export class CompletionsController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly completions: TextCompletions,
  ) {}

  @Post("completions")
  @HttpCode(200)
  async create(@Body() body: unknown, @Res() res: Response): Promise<void> {
    const request = parseCompletionRequest(body, this.config.GATEWAY_MAX_TOKENS, this.config.GATEWAY_MAX_PROMPT_CHARS);
    const clientGone = clientGoneSignal(res);
    if (!request.stream) {
      res.json(await this.completions.run(request, clientGone));
      return;
    }
    const completion = await this.completions.open(request, clientGone);
    clientGone.addEventListener("abort", () => completion.cancel());
    if (clientGone.aborted) completion.cancel();
    await sendEventStream(res, textCompletionChunks(request, completion), () => clientGone.aborted);
  }
}
