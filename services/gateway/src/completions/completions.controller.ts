import { Body, Controller, HttpCode, Inject, Post, Res } from "@nestjs/common";
import type { Response } from "express";
import type { GatewayConfig } from "#config";
import { parseCompletionRequest, type CompletionRequest } from "./completion-request.js";
import { CompletionService, type OpenCompletion } from "./completion.service.js";
import { HttpApiError } from "../http/openai-error.js";
import { GATEWAY_CONFIG } from "../tokens.js";

/** OpenAI-compatible `POST /v1/completions`, whole or streamed as server-sent events. */
@Controller("v1")
export class CompletionsController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly completions: CompletionService,
  ) {}

  @Post("completions")
  @HttpCode(200)
  async create(@Body() body: unknown, @Res() res: Response): Promise<void> {
    const request = parseCompletionRequest(body, this.config.GATEWAY_MAX_TOKENS, this.config.GATEWAY_MAX_PROMPT_CHARS);
    const clientGone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) clientGone.abort();
    });
    const completion = await this.completions.open(request, clientGone.signal);
    clientGone.signal.addEventListener("abort", () => completion.cancel());
    if (clientGone.signal.aborted) completion.cancel();
    if (request.stream) await this.stream(request, completion, res, () => clientGone.signal.aborted);
    else res.json(await this.whole(request, completion));
  }

  private async whole(request: CompletionRequest, completion: OpenCompletion) {
    let text = "";
    const tokenIds: number[] = [];
    for await (const piece of completion.pieces()) {
      text += piece.text;
      if (piece.kind === "delta") tokenIds.push(...piece.tokens);
      if (piece.kind === "end") {
        return {
          id: completion.id,
          object: "text_completion",
          created: completion.created,
          model: request.model,
          choices: [
            {
              text,
              index: 0,
              logprobs: null,
              finish_reason: piece.finishReason,
              ...(request.return_token_ids ? { token_ids: tokenIds } : {}),
            },
          ],
          usage: usage(completion.promptTokens, piece.completionTokens),
        };
      }
    }
    throw new HttpApiError(502, "the session ended without finishing", "server_error", "session_lost");
  }

  private async stream(
    request: CompletionRequest,
    completion: OpenCompletion,
    res: Response,
    clientGone: () => boolean,
  ) {
    res.status(200).set({ "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
    res.flushHeaders();
    const chunk = (text: string, finishReason: string | null, tokens?: number[]) => ({
      id: completion.id,
      object: "text_completion",
      created: completion.created,
      model: request.model,
      choices: [
        {
          text,
          index: 0,
          logprobs: null,
          finish_reason: finishReason,
          ...(request.return_token_ids && tokens ? { token_ids: tokens } : {}),
        },
      ],
    });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    try {
      for await (const piece of completion.pieces()) {
        if (clientGone()) return;
        if (piece.kind === "delta") send(chunk(piece.text, null, piece.tokens));
        else {
          send(chunk(piece.text, piece.finishReason, []));
          if (request.stream_options?.include_usage) {
            send({ ...chunk("", null), choices: [], usage: usage(completion.promptTokens, piece.completionTokens) });
          }
        }
      }
    } catch (err) {
      const error = err instanceof HttpApiError ? err : new HttpApiError(500, (err as Error).message, "server_error");
      send(error.body());
    }
    res.end("data: [DONE]\n\n");
  }
}

function usage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}
