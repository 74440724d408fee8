import { Body, Controller, HttpCode, Inject, Post, Req, Res } from "@nestjs/common";
import type { Request, Response } from "express";
import type { GatewayConfig } from "#config";
import { parseCompletionRequest } from "./completion-request.js";
import { textCompletionChunks } from "./completion-body.js";
import { sendEventStream } from "./event-stream.js";
import { TextCompletions } from "./text-completions.js";
import { clientGoneSignal } from "./client-gone.js";
import { interactiveSource } from "./request-source.js";
import { GATEWAY_CONFIG } from "../tokens.js";
import { traceCompletionUsage } from "../http/completion-spans.js";
import { meteredChunks, RequestAdmission, withUsageChunk, type CompletionUsage } from "../keys/index.js";

/** OpenAI-compatible `POST /v1/completions`, whole or streamed as server-sent events. */
@Controller("v1")
export class CompletionsController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly completions: TextCompletions,
    private readonly admission: RequestAdmission,
  ) {}

  @Post("completions")
  @HttpCode(200)
  async create(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const request = parseCompletionRequest(body, this.config.GATEWAY_MAX_TOKENS, this.config.GATEWAY_MAX_PROMPT_CHARS);
    // The caller's priority range and its key's limits; usage is settled and recorded at the end.
    const ticket = await this.admission.admit(req, res, {
      priority: request.priority,
      prompt: request.prompt,
      maxTokens: request.max_tokens,
    });
    let usage: CompletionUsage | null = null;
    try {
      const clientGone = clientGoneSignal(res);
      const source = interactiveSource(req);
      if (!request.stream) {
        const whole = await this.completions.run(request, clientGone, undefined, source);
        usage = { promptTokens: whole.usage.prompt_tokens, completionTokens: whole.usage.completion_tokens };
        res.json(whole);
        return;
      }
      const completion = await this.completions.open(request, clientGone, undefined, source);
      clientGone.addEventListener("abort", () => completion.cancel());
      if (clientGone.aborted) completion.cancel();
      const chunks = meteredChunks(
        textCompletionChunks(withUsageChunk(request), completion),
        request.stream_options?.include_usage === true,
        (used) => (usage = used),
      );
      await sendEventStream(res, chunks, () => clientGone.aborted);
    } finally {
      traceCompletionUsage(usage);
      await ticket.finish(usage);
    }
  }
}
