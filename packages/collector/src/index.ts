export { type Collector, type CollectorOptions, createCollector, fullPathOf, UMAMI_PATH } from './app.ts';
export { NO_UMAMI_WEBSITES, type UmamiWebsites } from './dialects/umami.ts';
export { createGroupCommit, type GroupCommitOptions, type GroupCommitProducer } from './produce/group-commit.ts';
export { createKafkaSalts, type KafkaSalts } from './salts/kafka.ts';
export { createMemorySalts, type SaltSource } from './visitor.ts';
