import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from "@nestjs/common";
import type { Request, Response } from "express";
import { z } from "zod";
import { Allow } from "../auth/access.guard.js";
import type { DashboardAuth } from "../auth/dashboard-auth.js";
import { sessionCookieHeader } from "../auth/session-cookie.js";
import { DASHBOARD_AUTH } from "../tokens.js";
import { HttpApiError } from "#http";

const loginSchema = z.object({ token: z.string().min(1).max(1000) });

/** A login (a token in, an HttpOnly cookie out: never a token in a URL), a logout, and who the caller is. */
@Controller("dashboard/api")
export class LoginController {
  constructor(@Inject(DASHBOARD_AUTH) private readonly auth: DashboardAuth) {}

  @Post("login")
  @Allow("public")
  @HttpCode(200)
  login(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const parsed = loginSchema.safeParse(body ?? {});
    if (!parsed.success) throw HttpApiError.invalid('send {"token": "<your dashboard token>"}', "token");
    const role = this.auth.open ? "admin" : this.auth.roleOfToken(parsed.data.token);
    if (role === null)
      throw new HttpApiError(401, "that token is not a dashboard token", "authentication_error", "invalid_token");
    res.setHeader("Set-Cookie", sessionCookieHeader(this.auth.sessionFor(role), req.secure));
    return { role };
  }

  @Post("logout")
  @Allow("public")
  @HttpCode(200)
  logout(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    res.setHeader("Set-Cookie", sessionCookieHeader(null, req.secure));
    return { ok: true };
  }

  /**
   * `{role, open}`: what the caller may do; `role` null when the page must show its login (a 200,
   * not a 401: the browser would log a 401 as a console error on every visit before logging in).
   */
  @Get("me")
  @Allow("public")
  me(@Req() req: Request) {
    return { role: this.auth.roleOf(req.headers), open: this.auth.open };
  }
}
