export { type Collector, type CollectorOptions, createCollector, fullPathOf } from './app.ts';
export { createGroupCommit, type GroupCommitOptions, type GroupCommitProducer } from './produce/group-commit.ts';
export { createKafkaSalts, type KafkaSalts } from './salts/kafka.ts';
export { createMemorySalts, type SaltSource } from './visitor.ts';
