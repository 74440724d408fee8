import type { IncomingHttpHeaders } from "node:http";

/** `localhost`, `127.x.y.z`, `[::1]`: the Host names of a dashboard only this machine reaches. */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return name === "localhost" || name === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Why a request that changes something (a POST) must be refused as another site's, or null. A
 * browser names the page's origin (`Origin`, or at least `Sec-Fetch-Site`): it must be this
 * dashboard's own host. A client that names none (curl, the CLI) is no browser tricked into it.
 */
export function crossSiteReason(headers: IncomingHttpHeaders): string | null {
  const origin = headers.origin;
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `the Origin '${origin}' is not a URL`;
    }
    return originHost === headers.host ? null : `a request from ${origin} may not change this dashboard`;
  }
  if (origin === "null") return "a request from an opaque origin may not change this dashboard";
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `a ${site} request may not change this dashboard`;
  return null;
}

/**
 * A dashboard without tokens trusts whoever reaches it, which is only this machine: a Host other
 * than loopback is a web page that rebound its own name to 127.0.0.1 (DNS rebinding).
 */
export function untrustedHostReason(headers: IncomingHttpHeaders, open: boolean): string | null {
  if (!open || isLoopbackHostHeader(headers.host)) return null;
  return `the Host '${headers.host ?? ""}' is not this machine: without DASHBOARD_ADMIN_TOKEN the dashboard answers only on loopback names`;
}
