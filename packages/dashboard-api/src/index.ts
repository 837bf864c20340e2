export { createDashboardApp, type DashboardApp, type DashboardOptions, dashboardSettings } from './app.ts';
export { apiHost } from './host.ts';
export { openApiDocument } from './openapi.ts';
