import { Body, Controller, HttpCode, Inject, Post, Res } from "@nestjs/common";
import type { Response } from "express";
import type { GatewayConfig } from "#config";
import { clientGoneSignal } from "../completions/client-gone.js";
import { sendEventStream } from "../completions/event-stream.js";
import { GATEWAY_CONFIG } from "../tokens.js";
import { chatCompletionChunks } from "./chat-body.js";
import { ChatCompletions } from "./chat-completions.js";
import { parseChatRequest } from "./chat-request.js";

/** OpenAI-compatible `POST /v1/chat/completions`, whole or streamed as server-sent events. */
@Controller("v1")
export class ChatController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly chats: ChatCompletions,
  ) {}

  @Post("chat/completions")
  @HttpCode(200)
  async create(@Body() body: unknown, @Res() res: Response): Promise<void> {
    const request = parseChatRequest(body, {
      maxTokens: this.config.GATEWAY_MAX_TOKENS,
      defaultMaxTokens: this.config.GATEWAY_CHAT_MAX_TOKENS,
      maxPromptChars: this.config.GATEWAY_MAX_PROMPT_CHARS,
    });
    const clientGone = clientGoneSignal(res);
    if (!request.stream) {
      res.json(await this.chats.run(request, clientGone));
      return;
    }
    const completion = await this.chats.open(request, clientGone);
    clientGone.addEventListener("abort", () => completion.cancel());
    if (clientGone.aborted) completion.cancel();
    await sendEventStream(res, chatCompletionChunks(request, completion), () => clientGone.aborted);
  }
}
