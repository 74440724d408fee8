import { Body, Controller, HttpCode, Inject, Post, Req, Res } from "@nestjs/common";
import type { Request, Response } from "express";
import type { GatewayConfig } from "#config";
import { clientGoneSignal } from "../completions/client-gone.js";
import { interactiveSource } from "../completions/request-source.js";
import { sendEventStream } from "../completions/event-stream.js";
import { GATEWAY_CONFIG } from "../tokens.js";
import { meteredChunks, RequestAdmission, type CompletionUsage } from "../keys/index.js";
import { chatCompletionChunks } from "./chat-body.js";
import { ChatCompletions } from "./chat-completions.js";
import { parseChatRequest } from "./chat-request.js";
import { traceCompletionUsage } from "../http/completion-spans.js";

/** OpenAI-compatible `POST /v1/chat/completions`, whole or streamed as server-sent events. */
@Controller("v1")
export class ChatController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly chats: ChatCompletions,
    private readonly admission: RequestAdmission,
  ) {}

  @Post("chat/completions")
  @HttpCode(200)
  async create(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const request = parseChatRequest(body, {
      maxTokens: this.config.GATEWAY_MAX_TOKENS,
      defaultMaxTokens: this.config.GATEWAY_CHAT_MAX_TOKENS,
      maxPromptChars: this.config.GATEWAY_MAX_PROMPT_CHARS,
    });
    // The caller's priority range and its key's limits; usage is settled and recorded at the end.
    const ticket = await this.admission.admit(req, res, {
      priority: request.priority,
      prompt: { messages: request.messages },
      maxTokens: request.maxTokens,
    });
    let usage: CompletionUsage | null = null;
    try {
      const clientGone = clientGoneSignal(res);
      const source = interactiveSource(req);
      if (!request.stream) {
        const whole = await this.chats.run(request, clientGone, undefined, source);
        usage = { promptTokens: whole.usage.prompt_tokens, completionTokens: whole.usage.completion_tokens };
        res.json(whole);
        return;
      }
      const completion = await this.chats.open(request, clientGone, undefined, source);
      clientGone.addEventListener("abort", () => completion.cancel());
      if (clientGone.aborted) completion.cancel();
      const chunks = meteredChunks(
        chatCompletionChunks({ ...request, includeUsage: true }, completion),
        request.includeUsage,
        (used) => (usage = used),
      );
      await sendEventStream(res, chunks, () => clientGone.aborted);
    } finally {
      traceCompletionUsage(usage);
      await ticket.finish(usage);
    }
  }
}
