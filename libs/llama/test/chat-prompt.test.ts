import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Template } from "@huggingface/jinja";
import type { Llama, LlamaModel, Token } from "node-llama-cpp";
import { defaultModelPath } from "#infra";
import { chatPromptTokens, chatTemplateOf, createLlama, loadModel, plainChatText } from "#llama";
import { CHATML_TEMPLATE, withChatTemplate } from "../../../test/support/chat-model.js";

const CHAT = [
  { role: "system" as const, content: "Be kind." },
  { role: "user" as const, content: "Tell me a story about </s> Lily." },
  { role: "assistant" as const, content: "Once upon" },
  { role: "user" as const, content: "More" },
];

describe("plainChatText (the fallback for a model without a chat template)", () => {
  const cases: Array<[string, Parameters<typeof plainChatText>[0], string]> = [
    ["one user message", [{ role: "user", content: "Hi" }], "user: Hi\nassistant:"],
    [
      "every role, in order",
      CHAT,
      "system: Be kind.\nuser: Tell me a story about </s> Lily.\nassistant: Once upon\nuser: More\nassistant:",
    ],
    [
      "multi-line and empty content",
      [
        { role: "user", content: "a\nb" },
        { role: "user", content: "" },
      ],
      "user: a\nb\nuser: \nassistant:",
    ],
  ];
  for (const [name, messages, text] of cases) it(name, () => assert.equal(plainChatText(messages), text));
});

describe("chatPromptTokens", () => {
  let llama: Llama;
  let dir: string;
  let plain: LlamaModel;
  let templated: LlamaModel;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "specfleet-chat-prompt-"));
    await withChatTemplate(defaultModelPath(), join(dir, "chatml.gguf"), CHATML_TEMPLATE);
    llama = await createLlama(1);
    plain = (await loadModel(llama, defaultModelPath())).model;
    templated = (await loadModel(llama, join(dir, "chatml.gguf"))).model;
  });

  after(async () => {
    await llama?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("without a template: the beginning token, then the plain text without special tokens", () => {
    assert.equal(chatTemplateOf(plain), null);
    const tokens = chatPromptTokens(plain, CHAT);
    const body = plain.tokenize(plainChatText(CHAT), false) as number[];
    assert.deepEqual(tokens, [plain.tokens.bos as number, ...body]);
    // "</s>" in a message stays text: the end token appears nowhere in the prompt.
    assert.ok(!tokens.includes(plain.tokens.eos as number));
  });

  it("with a template: the messages rendered by it, ready for the reply", () => {
    assert.equal(chatTemplateOf(templated), CHATML_TEMPLATE);
    const tokens = chatPromptTokens(templated, CHAT);
    const rendered = templated.detokenize(tokens as Token[], true);
    const jinja = new Template(CHATML_TEMPLATE).render({ messages: CHAT, add_generation_prompt: true });
    // node-llama-cpp tokenizes the template's markup and the messages' text apart, so a
    // SentencePiece vocabulary puts a word-start space at each boundary; the characters otherwise
    // match the template as Jinja renders it, beginning token aside.
    const squeeze = (text: string) => text.replace(/^<s>/, "").replace(/ /g, "");
    assert.equal(squeeze(rendered), squeeze(jinja));
    assert.ok(rendered.trimEnd().endsWith("<|im_start|>assistant"));
    assert.ok(!tokens.includes(templated.tokens.eos as number));
  });

  it("is deterministic", () => {
    assert.deepEqual(chatPromptTokens(templated, CHAT), chatPromptTokens(templated, CHAT));
    assert.deepEqual(chatPromptTokens(plain, CHAT), chatPromptTokens(plain, CHAT));
  });
});
