export { createDashboardApp, type DashboardApp, type DashboardOptions } from './app.ts';
export { apiHost } from './host.ts';
export { openApiDocument } from './openapi.ts';
