import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from "@nestjs/common";
import type { Request } from "express";
import { listPage, parseRequest } from "../http/parse-request.js";
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
    const parsed = parseRequest(listBatchesQuerySchema, query);
    const page = await this.batches.list(tenantOf(req), parsed);
    return listPage(page.batches.map(batchView), page.hasMore);
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
