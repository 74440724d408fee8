import {
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import type { ChatMessage } from "#contracts";

/** The chat template in a model's GGUF (`tokenizer.chat_template`), or null when it has none. */
export function chatTemplateOf(model: LlamaModel): string | null {
  const template: unknown = model.fileInfo.metadata.tokenizer?.chat_template;
  return typeof template === "string" && template.trim() !== "" ? template : null;
}

/**
 * The prompt of a chat for a model without a chat template: each message on its own line as
 * `role: content`, then `assistant:` for the reply, e.g.
 *
 *     system: Be brief.
 *     user: Tell me a story.
 *     assistant:
 *
 * The reply ends at the model's end of generation (EOS), like any completion.
 */
export function plainChatText(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${m.role}: ${m.content}\n`).join("") + "assistant:";
}

const wrappers = new WeakMap<LlamaModel, ChatWrapper>();

/**
 * The model's own chat template, as node-llama-cpp resolves it: the GGUF's Jinja template, or an
 * equivalent built-in wrapper when node-llama-cpp finds one renders it identically.
 */
function chatWrapperOf(model: LlamaModel): ChatWrapper {
  let wrapper = wrappers.get(model);
  if (!wrapper) {
    wrapper = resolveChatWrapper(model, { warningLogs: false });
    wrappers.set(model, wrapper);
  }
  return wrapper;
}

/**
 * A chat's prompt tokens for `model`, ready for the assistant's reply. With a chat template in
 * its GGUF: the messages rendered by it (node-llama-cpp's chat wrapper, the generation prompt
 * added), the template's own markup tokenized with special tokens and the messages' text without
 * (text in a message cannot forge a special token). Without one: `plainChatText`, after the
 * beginning token when the vocabulary adds one, its text tokenized without special tokens.
 */
export function chatPromptTokens(model: LlamaModel, messages: readonly ChatMessage[]): number[] {
  if (chatTemplateOf(model) === null) {
    const { bos, shouldPrependBosToken } = model.tokens;
    const begin = shouldPrependBosToken && bos != null ? [bos as number] : [];
    return [...begin, ...(model.tokenize(plainChatText(messages), false) as number[])];
  }
  const chatHistory: ChatHistoryItem[] = messages.map((m) =>
    m.role === "assistant" ? { type: "model", response: [m.content] } : { type: m.role, text: m.content },
  );
  chatHistory.push({ type: "model", response: [] });
  const { contextText } = chatWrapperOf(model).generateContextState({ chatHistory });
  return contextText.tokenize(model.tokenizer).map((token: Token) => token as number);
}
