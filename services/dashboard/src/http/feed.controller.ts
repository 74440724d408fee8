import { Controller, Get, Inject, Param, Req, Res } from "@nestjs/common";
import type { Request, Response } from "express";
import { workerIdSchema } from "#contracts";
import { Allow } from "../auth/access.guard.js";
import type { DashboardAuth } from "../auth/dashboard-auth.js";
import type { FleetFeed } from "../feed/fleet-feed.js";
import { DASHBOARD_AUTH, DASHBOARD_FEED } from "../tokens.js";
import { HttpApiError } from "#http";
import { openFeedStream } from "./feed-stream.js";

/** The page's data: the whole state, the live stream of what changes, a pair's history. */
@Controller("dashboard/api")
@Allow("viewer")
export class FeedController {
  constructor(
    @Inject(DASHBOARD_FEED) private readonly feed: FleetFeed,
    @Inject(DASHBOARD_AUTH) private readonly auth: DashboardAuth,
  ) {}

  @Get("state")
  state(@Req() req: Request) {
    return this.feed.snapshot(this.auth.roleOf(req.headers) ?? "viewer").state;
  }

  @Get("stream")
  stream(@Req() req: Request, @Res() res: Response): void {
    openFeedStream(this.feed, this.auth.roleOf(req.headers) ?? "viewer", req, res);
  }

  @Get("pairs/:verifierId/:drafterId/history")
  history(@Param("verifierId") verifierId: string, @Param("drafterId") drafterId: string) {
    for (const [param, id] of [
      ["verifierId", verifierId],
      ["drafterId", drafterId],
    ] as const)
      if (!workerIdSchema.safeParse(id).success)
        throw HttpApiError.invalid(`'${id}' is not a worker id (letters, digits, '-' or '_')`, param);
    const history = this.feed.pairHistory(verifierId, drafterId);
    if (history === null)
      throw new HttpApiError(
        404,
        `no history of the pair ${verifierId} ← ${drafterId}: it has not worked together in the last 15 minutes`,
        "invalid_request_error",
        "pair_not_found",
      );
    return history;
  }
}
