export { createDashboardApp, type DashboardApp, type DashboardOptions, dashboardSettings } from './app.ts';
export { apiHost } from './host.ts';
export { openApiDocument } from './openapi.ts';
export { type Tables, tableNames } from './queries/tables.ts';
export { type Answer, type EngineOptions, QueryTimeoutError, runQuery } from './v2/engine.ts';
export { type FunnelQuery, type FunnelStep, parseFunnel, runFunnel } from './v2/funnel.ts';
export type { Goal, GoalLookup } from './v2/goals.ts';
export { echo, type Filter, parseQuery, type Query } from './v2/parse.ts';
export { METRICS, type Metric } from './v2/vocabulary.ts';
