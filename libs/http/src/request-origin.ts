import type { IncomingHttpHeaders } from "node:http";

/**
 * The host name in a `Host` header or a bind address: lower case, without its port or a trailing
 * dot, an IPv6 address in brackets (`[::1]`). null when there is none.
 */
export function hostNameOf(host: string | undefined): string | null {
  const value = (host ?? "").trim().toLowerCase();
  if (value === "") return null;
  let name: string;
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    if (end < 0) return null;
    name = value.slice(0, end + 1);
  } else if (value.indexOf(":") !== value.lastIndexOf(":")) {
    name = `[${value}]`; // a bare IPv6 address (a bind address; a Host header brackets it)
  } else {
    name = value.split(":", 1)[0]!;
  }
  if (name.endsWith(".")) name = name.slice(0, -1);
  return name === "" ? null : name;
}

/** `localhost`, `127.x.y.z`, `[::1]`: names only this machine reaches. */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  const name = hostNameOf(host);
  return name === "localhost" || name === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name ?? "");
}

/**
 * The `Host` names a service answers to: loopback names always, and the names given (an entry
 * that starts with `.` also allows every name under it: `.example.com`). A page that rebinds its
 * own name to this machine's address (DNS rebinding) sends its own name as `Host`, which is none
 * of these.
 */
export class HostAllowList {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(names: Iterable<string> = []) {
    for (const entry of names) {
      if (entry.startsWith(".")) {
        const suffix = hostNameOf(entry.slice(1));
        if (suffix !== null) this.suffixes.push(`.${suffix}`);
        continue;
      }
      const name = hostNameOf(entry);
      if (name !== null) this.exact.add(name);
    }
  }

  allows(host: string | undefined): boolean {
    if (isLoopbackHostHeader(host)) return true;
    const name = hostNameOf(host);
    if (name === null) return false;
    return this.exact.has(name) || this.suffixes.some((suffix) => name.endsWith(suffix) || name === suffix.slice(1));
  }
}

/**
 * Why a request must be refused as another site's, or null. A browser names the page it comes
 * from (`Origin`, or at least `Sec-Fetch-Site`): it must be this service's own host. A client that
 * names none (curl, the CLI) is no browser tricked into it. `action` ends the message: "change
 * this dashboard".
 */
export function crossSiteReason(headers: IncomingHttpHeaders, action: string): string | null {
  const origin = headers.origin;
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `the Origin '${origin}' is not a URL`;
    }
    return originHost.toLowerCase() === (headers.host ?? "").toLowerCase()
      ? null
      : `a request from ${origin} may not ${action}`;
  }
  if (origin === "null") return `a request from an opaque origin may not ${action}`;
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return `a ${site} request may not ${action}`;
  return null;
}
