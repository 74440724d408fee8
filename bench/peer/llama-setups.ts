/** bench:peer's llama-server side: llama.cpp's own server on the target, alone or with a draft model. */
import { join } from "node:path";
import { startLlamaServer } from "#infra";
import type { PeerModels, PeerSetup } from "./setup.js";

/** Context per slot: a prompt and 128 tokens, with room to spare (SpecFleet's CONTEXT_SIZE default). */
const SLOT_CONTEXT = 512;
/** llama-server's own default draft length (`--spec-draft-n-max`, default 3 in this build). */
export const DEFAULT_N_MAX = 3;

/**
 * llama-server target only, and with each draft at each draft length of `nMaxes` (the default
 * among them): `-md DRAFT --spec-type draft-simple --spec-draft-n-max N`. The target and the draft
 * run in the one process on `-t cores` threads each, taking turns; `-np` slots match the
 * concurrency, each with SLOT_CONTEXT tokens.
 */
export function llamaServerSetups(binary: string, models: PeerModels, nMaxes: readonly number[]): PeerSetup[] {
  const setup = (label: string, draft: { name: string; path: string; nMax: number } | null): PeerSetup => ({
    label,
    side: "llama-server",
    speculative: draft !== null,
    draft: draft?.name,
    nMax: draft?.nMax,
    start: async ({ cores, concurrency, logDir }) => {
      const server = await startLlamaServer({
        binary,
        modelPath: models.target,
        threads: cores,
        parallel: concurrency,
        contextSize: SLOT_CONTEXT * concurrency,
        args: draft === null ? [] : draftArgs(draft.path, draft.nMax),
        output: { logFile: join(logDir, `${slug(label)}-np${concurrency}.log`) },
        timeoutMs: 120_000,
      });
      // No prompt cache: every request is evaluated from scratch, as SpecFleet evaluates it.
      return { url: server.url, model: "target", extraBody: { cache_prompt: false }, stop: () => server.stop() };
    },
  });
  return [
    setup("llama-server target only", null),
    ...models.drafts.flatMap((draft) =>
      nMaxes.map((nMax) =>
        setup(`llama-server + ${draft.name} draft, n_max ${nMax}${nMax === DEFAULT_N_MAX ? " (default)" : ""}`, {
          ...draft,
          nMax,
        }),
      ),
    ),
  ];
}

function draftArgs(path: string, nMax: number): string[] {
  return ["--model-draft", path, "--spec-type", "draft-simple", "--spec-draft-n-max", String(nMax)];
}

export function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}
