import {
  dashboardConfigSchema,
  draftWorkerConfigSchema,
  gatewayConfigSchema,
  registryConfigSchema,
  schedulerConfigSchema,
  verifyWorkerConfigSchema,
} from "#config";

/** Each actor's variables (`specfleet serve <actor>`): the keys of its zod schema in libs/config, the single source. */
export const ACTOR_VARIABLES: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries({
    registry: registryConfigSchema,
    scheduler: schedulerConfigSchema,
    gateway: gatewayConfigSchema,
    dashboard: dashboardConfigSchema,
    "verify-worker": verifyWorkerConfigSchema,
    "draft-worker": draftWorkerConfigSchema,
  }).map(([actor, schema]) => [actor, new Set(Object.keys(schema.shape))]),
);

/** Every actor's variables together. */
export const ALL_ACTOR_VARIABLES: ReadonlySet<string> = new Set(
  Object.values(ACTOR_VARIABLES).flatMap((variables) => [...variables]),
);
