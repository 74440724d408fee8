import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UploadedFile,
  UseFilters,
  UseInterceptors,
} from "@nestjs/common";
import { FileInterceptor } from "@nestjs/platform-express";
import type { Request, Response } from "express";
import { z } from "zod";
import { listPage, parseRequest } from "../http/parse-request.js";
import { AcceptsMultipart } from "../http/json-body.guard.js";
import { tenantOf } from "../jobs/jobs.controller.js";
import { FILE_PURPOSES, fileView } from "./file.js";
import { FilesService, type UploadedBlob } from "./files.service.js";
import { UploadErrorFilter } from "./upload-error.filter.js";

export const listFilesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  after: z.string().min(1).max(128).optional(),
  order: z.enum(["asc", "desc"]).default("desc"),
  purpose: z.enum(FILE_PURPOSES).optional(),
});

/**
 * OpenAI's Files API for batches: upload a JSONL file (`purpose: batch`, multipart), read it,
 * list, delete; a batch's output and error files are read the same way (`purpose: batch_output`).
 */
@Controller("v1/files")
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(200)
  @AcceptsMultipart()
  @UseInterceptors(FileInterceptor("file"))
  @UseFilters(UploadErrorFilter)
  async upload(@UploadedFile() blob: UploadedBlob | undefined, @Body() fields: unknown, @Req() req: Request) {
    const form = typeof fields === "object" && fields !== null ? (fields as Record<string, unknown>) : {};
    return fileView(await this.files.upload(tenantOf(req), blob, form));
  }

  @Get()
  async list(@Query() query: unknown, @Req() req: Request) {
    const parsed = parseRequest(listFilesQuerySchema, query);
    const page = await this.files.list(tenantOf(req), parsed);
    return listPage(page.files.map(fileView), page.hasMore);
  }

  @Get(":id")
  async get(@Param("id") id: string, @Req() req: Request) {
    return fileView(await this.files.get(tenantOf(req), id));
  }

  @Get(":id/content")
  async content(@Param("id") id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const file = await this.files.get(tenantOf(req), id);
    res.status(200).set({
      "Content-Type": file.derivedFrom ? "application/jsonl; charset=utf-8" : "application/octet-stream",
      "Content-Disposition": `attachment; filename="${file.filename.replace(/[^\x20-\x7e]|["\\]/g, "_")}"`,
    });
    let closed = false;
    res.on("close", () => (closed = true));
    for await (const part of this.files.content(file)) {
      if (closed) break;
      if (!res.write(part)) await drainedOrClosed(res);
    }
    res.end();
  }

  @Delete(":id")
  async remove(@Param("id") id: string, @Req() req: Request) {
    const file = await this.files.remove(tenantOf(req), id);
    return { id: file.id, object: "file", deleted: true };
  }
}

/** The response can take more, or the client left. */
export function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
