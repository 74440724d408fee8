import { Controller, Get, Header, Inject, Res } from "@nestjs/common";
import type { Response } from "express";
import { Allow } from "../auth/access.guard.js";
import type { FleetFeed } from "../feed/fleet-feed.js";
import { DASHBOARD_FEED } from "../tokens.js";

/** The fleet's Prometheus metrics gathered in one place (drafters behind NAT cannot be scraped), and liveness. */
@Controller()
export class MetricsController {
  constructor(@Inject(DASHBOARD_FEED) private readonly feed: FleetFeed) {}

  /** Every process's last report and the dashboard's own registry (Bearer token when tokens are set). */
  @Get("metrics")
  @Allow("viewer")
  async metrics(@Res() res: Response): Promise<void> {
    const text = await this.feed.gatherer.render();
    res.setHeader("Content-Type", this.feed.gatherer.contentType);
    res.send(text);
  }

  @Get("healthz")
  @Allow("public")
  @Header("Cache-Control", "no-store")
  healthz() {
    return { status: "ok" };
  }
}
