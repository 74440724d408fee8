import { Module, type DynamicModule } from "@nestjs/common";
import { APP_FILTER, APP_GUARD } from "@nestjs/core";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { AccessGuard } from "./auth/access.guard.js";
import type { DashboardAuth } from "./auth/dashboard-auth.js";
import type { FleetFeed } from "./feed/fleet-feed.js";
import { ApiErrorFilter } from "#http";
import { DevicesController } from "./http/devices.controller.js";
import { FeedController } from "./http/feed.controller.js";
import { LoginController } from "./http/login.controller.js";
import { MetricsController } from "./http/metrics.controller.js";
import { DASHBOARD_AUTH, DASHBOARD_BUS, DASHBOARD_FEED } from "./tokens.js";

/** The dashboard's HTTP side over a feed and an auth made in main.ts. */
@Module({})
export class DashboardModule {
  static forRoot(deps: { log: Logger; bus: ContractBus; feed: FleetFeed; auth: DashboardAuth }): DynamicModule {
    return {
      module: DashboardModule,
      controllers: [FeedController, LoginController, DevicesController, MetricsController],
      providers: [
        { provide: DASHBOARD_BUS, useValue: deps.bus },
        { provide: DASHBOARD_FEED, useValue: deps.feed },
        { provide: DASHBOARD_AUTH, useValue: deps.auth },
        { provide: APP_FILTER, useFactory: () => new ApiErrorFilter(deps.log) },
        { provide: APP_GUARD, useClass: AccessGuard },
      ],
    };
  }
}
