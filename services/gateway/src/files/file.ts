import { randomBytes } from "node:crypto";
import { z } from "zod";

/** What a file is for: an upload a batch reads (`batch`), or a batch's output or error file (`batch_output`). */
export const FILE_PURPOSES = ["batch", "batch_output"] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/**
 * A file as stored (its content beside it). A batch's output and error files hold no content of
 * their own: `derivedFrom` names the batch whose results give it, line by line, on read.
 */
export const storedFileSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  filename: z.string(),
  purpose: z.enum(FILE_PURPOSES),
  bytes: z.number().int().nonnegative(),
  createdAt: z.number(),
  expiresAt: z.number(),
  derivedFrom: z.object({ batchId: z.string(), kind: z.enum(["output", "errors"]) }).nullable(),
});
export type StoredFile = z.infer<typeof storedFileSchema>;

/** A new upload's id, shaped as OpenAI's (`file-` and 24 hex digits). */
export function newFileId(): string {
  return `file-${randomBytes(12).toString("hex")}`;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** OpenAI's file object (`GET /v1/files/{id}`). */
export function fileView(file: StoredFile) {
  return {
    id: file.id,
    object: "file" as const,
    bytes: file.bytes,
    created_at: seconds(file.createdAt),
    expires_at: seconds(file.expiresAt),
    filename: file.filename,
    purpose: file.purpose,
    status: "processed" as const,
    status_details: null,
  };
}
