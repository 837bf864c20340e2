// Options shared by the service scripts and where their files live.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Log = (msg: string) => void;

/** One Kafka node's listeners: clients on `port`, the KRaft controller quorum on `controllerPort`. */
export interface KafkaNodePorts {
  port: number;
  controllerPort: number;
}

export interface ServiceOptions {
  /** Directory holding `.services/` (data, logs, pid files). Defaults to the repository root. */
  root?: string;
  log?: Log;
  /** Kafka's client and controller ports (default 9092/9093), for a private broker in fault tests. */
  kafkaPort?: number;
  kafkaControllerPort?: number;
  /**
   * A Kafka cluster instead of one broker: node N listens on entry N-1 (`pnpm services:start
   * --brokers 3` takes `defaultKafkaCluster(3)`; failover tests give free ports). Replication 3
   * and min.insync.replicas 2 from three nodes on.
   */
  kafkaCluster?: KafkaNodePorts[];
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export function serviceDir(opts: ServiceOptions, name: string): string {
  return join(opts.root ?? repoRoot, '.services', name);
}

export function logger(opts: ServiceOptions): Log {
  return opts.log ?? (() => {});
}
