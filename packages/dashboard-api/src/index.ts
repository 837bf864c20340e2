export { createDashboardApp, type DashboardOptions } from './app.ts';
export { apiHost } from './host.ts';
