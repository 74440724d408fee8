import type { RequestResult } from "../jobs/job.js";
import type { InvalidLine } from "./batch-lines.js";

/**
 * The lines of a batch's output and error files, in OpenAI's format: one JSON object per request,
 * `{"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id", "body"} | null,
 * "error": {"code", "message"} | null}`. Ids are made from the batch's id and the request's index
 * (or the input line's number), so the same file reads the same every time.
 */
const idPart = (batchId: string) => batchId.replace(/^batch_/, "");

export function batchRequestId(batchId: string, index: number): string {
  return `batch_req_${idPart(batchId)}_${index}`;
}

/** A request that succeeded: a line of the output file. */
export function outputLine(batchId: string, result: RequestResult): string {
  return line({
    id: batchRequestId(batchId, result.index),
    custom_id: result.customId,
    response: { status_code: 200, request_id: `req_${idPart(batchId)}_${result.index}`, body: result.response },
    error: null,
  });
}

/** A request that failed: a line of the error file, with the status and error the request alone would have had. */
export function failedRequestLine(batchId: string, result: RequestResult): string {
  const status = result.error?.status ?? 500;
  const code = result.error?.code ?? (status >= 500 ? "server_error" : "invalid_request");
  const message = result.error?.message ?? "the request failed";
  return line({
    id: batchRequestId(batchId, result.index),
    custom_id: result.customId,
    response: {
      status_code: status,
      request_id: `req_${idPart(batchId)}_${result.index}`,
      body: {
        error: { message, type: status >= 500 ? "server_error" : "invalid_request_error", param: null, code },
      },
    },
    error: { code, message },
  });
}

/** An input line that did not run: a line of the error file naming the line's number. */
export function invalidLineLine(batchId: string, invalid: InvalidLine): string {
  return line({
    id: `batch_req_${idPart(batchId)}_line${invalid.line}`,
    custom_id: invalid.customId,
    response: null,
    error: {
      code: invalid.code,
      message: `line ${invalid.line}: ${invalid.message}`,
      ...(invalid.param ? { param: invalid.param } : {}),
      line: invalid.line,
    },
  });
}

function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
