import { copiedTensor, GgufType, readGguf, writeGguf } from "#gguf";

/** A ChatML template, as many GGUFs carry it (Qwen, Hermes, …). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** A copy of the GGUF at `input` with `tokenizer.chat_template` set (same weights and vocabulary). */
export async function withChatTemplate(input: string, output: string, template: string): Promise<void> {
  const file = await readGguf(input);
  const metadata = new Map(file.metadata);
  metadata.set("tokenizer.chat_template", { type: GgufType.STRING, value: template });
  await writeGguf(output, {
    version: file.version,
    metadata,
    tensors: file.tensors.map((info) => copiedTensor(file, info)),
  });
}
