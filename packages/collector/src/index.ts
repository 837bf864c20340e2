export { type CollectorOptions, createCollectorApp, fullPathOf } from './app.ts';
