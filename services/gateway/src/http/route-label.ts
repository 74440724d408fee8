/** The `route` label of a request no route of the gateway serves (a 404 for an unknown path or method). */
export const UNMATCHED_ROUTE = "unmatched";

/** Express' name for a route of every method (`app.all`, Nest's `@All()`), upper-cased. */
const ALL = "_ALL";

/** A route the HTTP server serves: its pattern (`/v1/jobs/:id`), its methods, and whether a path is one of its. */
export interface RoutePattern {
  path: string;
  /** Upper-case methods (`GET` also serves `HEAD`, as Express does; `_ALL`: every method). */
  methods: ReadonlySet<string>;
  matches(path: string): boolean;
}

/**
 * The `route` label of an HTTP request: the pattern of the route that served it, never the raw
 * path (ids would make a series per request). A request answered before routing (a body that
 * could not be read: 400, 413, 415) is labelled with the route it was sent to, found in the
 * server's route table; a path or method no route serves is `unmatched`.
 */
export class RouteLabeller {
  private table: readonly RoutePattern[] | null = null;

  /** `routes` is read once, at the first request that needs it (routes are registered at start). */
  constructor(private readonly routes: () => readonly RoutePattern[]) {}

  /** `served`: the pattern of the route that handled the request, when one did (Express' `req.route.path`). */
  label(method: string, path: string, served?: unknown): string {
    if (typeof served === "string") return served;
    this.table ??= this.routes();
    const upper = method.toUpperCase();
    const wanted = upper === "HEAD" ? ["HEAD", "GET", ALL] : [upper, ALL];
    for (const route of this.table)
      if (wanted.some((m) => route.methods.has(m)) && route.matches(path)) return route.path;
    return UNMATCHED_ROUTE;
  }
}

/** Express' router internals this reads: each layer with a route (what `app.get(path, …)` adds). */
interface RouterLike {
  stack?: Array<{
    route?: { path?: unknown; methods?: Record<string, boolean | undefined> };
    match?: (path: string) => unknown;
  }>;
}

/**
 * Whether the layer's pattern takes the path. Express throws for a parameter that does not decode
 * (`/v1/jobs/%E0%A4%A`, answered 400): the path has the route's shape, so it is that route's.
 */
function matchesLayer(match: (path: string) => unknown, layer: object, path: string): boolean {
  try {
    return Boolean(match.call(layer, path));
  } catch {
    return true;
  }
}

/**
 * The routes of an Express router (Nest registers every controller route on the app's router,
 * with its full path), matched by the router's own layers so that the label agrees with what
 * Express serves.
 */
export function expressRoutes(router: unknown): RoutePattern[] {
  const routes: RoutePattern[] = [];
  for (const layer of (router as RouterLike).stack ?? []) {
    const { route, match } = layer;
    if (!route || typeof route.path !== "string" || typeof match !== "function") continue;
    const methods = new Set(
      Object.entries(route.methods ?? {})
        .filter(([, on]) => on === true)
        .map(([m]) => m.toUpperCase()),
    );
    routes.push({ path: route.path, methods, matches: (path) => matchesLayer(match, layer, path) });
  }
  return routes;
}
