/**
 * How the topics Tidemark creates are replicated (`KAFKA_REPLICATION_FACTOR`,
 * `KAFKA_MIN_INSYNC_REPLICAS`): by default 3 replicas with 2 in sync on a cluster of 3 brokers
 * or more (a write acknowledged by two survives the loss of one broker, and one broker down
 * still takes writes), else 1 with a start-up warning. Topics that exist already are checked,
 * never changed: a difference is reported (changing replication is a reassignment an
 * operator plans, not a start-up step).
 */
import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { KafkaTopics, TopicSpec } from './kafka.ts';

export interface Replication {
  factor: number;
  minInsync: number;
}

export type ReplicationConfig = Pick<Config['kafka'], 'replicationFactor' | 'minInsyncReplicas'>;

/** A topic whose replication differs from what Tidemark would create. */
export interface ReplicationMismatch {
  topic: string;
  replicationFactor: number;
  expectedReplicationFactor: number;
  minInsyncReplicas: number;
  expectedMinInsyncReplicas: number;
}

const MIN_INSYNC = 'min.insync.replicas';

/** The replication of new topics on a cluster of `brokers` live brokers. */
export function replicationOf(config: ReplicationConfig, brokers: number): Replication {
  const factor = config.replicationFactor ?? (brokers >= 3 ? 3 : 1);
  // Two in sync from three replicas on; fewer replicas cannot lose one and keep writing with more than one.
  const minInsync = config.minInsyncReplicas ?? Math.max(1, Math.min(2, factor - 1));
  if (minInsync > factor)
    throw new ConfigError(
      `KAFKA_MIN_INSYNC_REPLICAS=${minInsync} is more than the replication factor ${factor}: no write would be accepted`,
    );
  return { factor, minInsync };
}

/** Whether an existing topic's replication is what the configuration asks (unset: at least the default, and one replica may be lost). */
function acceptable(config: ReplicationConfig, wanted: Replication, factor: number, minInsync: number): boolean {
  const factorOk = config.replicationFactor === null ? factor >= wanted.factor : factor === wanted.factor;
  const minOk =
    config.minInsyncReplicas === null
      ? minInsync >= wanted.minInsync && (factor === 1 || minInsync < factor)
      : minInsync === wanted.minInsync;
  return factorOk && minOk;
}

/**
 * Creates the missing topics with the replication above, and checks the ones that exist.
 * Resolves to the mismatches it reported (a warning each).
 */
export async function ensureReplicatedTopics(
  topics: KafkaTopics,
  specs: TopicSpec[],
  config: ReplicationConfig,
  log: Logger,
): Promise<ReplicationMismatch[]> {
  const brokers = await topics.brokers();
  const wanted = replicationOf(config, brokers);
  if (config.replicationFactor === null && wanted.factor === 1) {
    log.warn(
      { brokers, replicationFactor: 1 },
      'kafka_topics_unreplicated: fewer than 3 brokers, so new topics get one replica and a broker lost loses their events (KAFKA_REPLICATION_FACTOR chooses)',
    );
  }
  try {
    await topics.ensure(
      specs.map((spec) => ({
        ...spec,
        replicationFactor: wanted.factor,
        config: { ...spec.config, [MIN_INSYNC]: String(wanted.minInsync) },
      })),
    );
  } catch (error) {
    if (wanted.factor <= brokers) throw error;
    // A broker may be back in a moment (retried at start-up); the message says what to change otherwise.
    throw Object.assign(
      new Error(
        `kafka: topics with ${wanted.factor} replicas need ${wanted.factor} live brokers, the cluster has ${brokers} (KAFKA_REPLICATION_FACTOR)`,
        {
          cause: error,
        },
      ),
      { retriable: true },
    );
  }
  const mismatches: ReplicationMismatch[] = [];
  for (const { topic } of specs) {
    const [layout, settings] = await Promise.all([topics.layout(topic), topics.settings(topic, [MIN_INSYNC])]);
    const factor = Math.min(...layout.map((p) => p.replicas.length));
    const minInsync = Number(settings[MIN_INSYNC] ?? 1);
    if (acceptable(config, wanted, factor, minInsync)) continue;
    const mismatch = {
      topic,
      replicationFactor: factor,
      expectedReplicationFactor: wanted.factor,
      minInsyncReplicas: minInsync,
      expectedMinInsyncReplicas: wanted.minInsync,
    };
    mismatches.push(mismatch);
    log.warn(mismatch, 'kafka_topic_replication_mismatch: the topic exists with other replication; Tidemark does not change it');
  }
  return mismatches;
}
