import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from "@nestjs/common";
import type { Request } from "express";
import { HttpApiError } from "../http/openai-error.js";
import { tenantOf } from "../jobs/jobs.controller.js";
import { callerOf } from "../keys/index.js";
import { listBatchesQuerySchema } from "./batch-request.js";
import { batchView } from "./batch-view.js";
import { BatchesService } from "./batches.service.js";

/** OpenAI's Batch API: a batch of an uploaded JSONL file runs as one job; its results are files. */
@Controller("v1/batches")
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Post()
  @HttpCode(200)
  async create(@Body() body: unknown, @Req() req: Request) {
    return batchView(await this.batches.create(tenantOf(req), body, callerOf(req).jobPriority));
  }

  @Get()
  async list(@Query() query: unknown, @Req() req: Request) {
    const parsed = listBatchesQuerySchema.safeParse(query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = (issue.code === "unrecognized_keys" ? issue.keys[0] : issue.path.join(".")) ?? null;
      throw HttpApiError.invalid(`${param}: ${issue.message}`, param);
    }
    const page = await this.batches.list(tenantOf(req), parsed.data);
    const data = page.batches.map(batchView);
    return {
      object: "list",
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    };
  }

  @Get(":id")
  async get(@Param("id") id: string, @Req() req: Request) {
    return batchView(await this.batches.get(tenantOf(req), id));
  }

  @Post(":id/cancel")
  @HttpCode(200)
  async cancel(@Param("id") id: string, @Req() req: Request) {
    return batchView(await this.batches.cancel(tenantOf(req), id));
  }
}
