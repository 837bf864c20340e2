export * from './failure-log.ts';
export * from './grants.ts';
export * from './key-authorizer.ts';
export * from './password.ts';
export * from './registry.ts';
export * from './secrets.ts';
export * from './store.ts';
export * from './types.ts';
