/** Nest injection tokens of the dashboard's providers made outside Nest (main.ts). */
export const DASHBOARD_CONFIG = Symbol("DASHBOARD_CONFIG");
export const DASHBOARD_BUS = Symbol("DASHBOARD_BUS");
export const DASHBOARD_FEED = Symbol("DASHBOARD_FEED");
export const DASHBOARD_AUTH = Symbol("DASHBOARD_AUTH");
