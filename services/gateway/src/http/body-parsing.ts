import { json, type NextFunction, type Request, type Response } from "express";
import { HttpApiError } from "./openai-error.js";

/**
 * JSON bodies of any content type, with a size limit; a body that cannot be read is answered
 * here with OpenAI's error object (Nest would turn it into a bare 400 and lose why).
 */
export function bodyParsing(limit: string) {
  return [
    json({ limit, type: () => true }),
    (err: unknown, _req: Request, res: Response, next: NextFunction) => {
      const type = (err as { type?: string } | null)?.type;
      if (type === "entity.parse.failed") {
        const error = HttpApiError.invalid(
          `the request body is not valid JSON: ${(err as Error).message}`,
          null,
          "invalid_json",
        );
        res.status(error.status).json(error.body());
      } else if (type === "entity.too.large") {
        const error = new HttpApiError(
          413,
          `the request body is larger than ${limit}`,
          "invalid_request_error",
          "body_too_large",
        );
        res.status(error.status).json(error.body());
      } else next(err);
    },
  ];
}
