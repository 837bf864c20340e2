/**
 * Topics and databases a test run creates on the shared local services. Tests name their own
 * (`uniqueName`, random hex), and over weeks they pile up: one machine's broker held 1 556
 * partition directories (17 GB) and slowed down. The run takes a snapshot when it starts and,
 * when it is the last run using the services, drops what appeared since and carries a random
 * hex name, so nothing a developer made by hand is touched.
 */
import { Kafka, logLevel } from 'kafkajs';

/** `uniqueName`'s and the tests' random suffixes: eight hex digits in a row. */
const MADE_BY_A_TEST = /[0-9a-f]{8}/;

export interface Snapshot {
  topics: Set<string>;
  databases: Set<string>;
}

function admin(brokers: string) {
  return new Kafka({ clientId: 'tidemark-test-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
}

async function databases(clickhouseUrl: string): Promise<string[]> {
  const res = await fetch(clickhouseUrl, { method: 'POST', body: 'SELECT name FROM system.databases FORMAT TSV' });
  if (!res.ok) throw new Error(`listing databases: ${res.status} ${await res.text()}`);
  return (await res.text()).split('\n').filter(Boolean);
}

export async function snapshot(brokers: string, clickhouseUrl: string): Promise<Snapshot> {
  const kafka = admin(brokers);
  await kafka.connect();
  try {
    return { topics: new Set(await kafka.listTopics()), databases: new Set(await databases(clickhouseUrl)) };
  } finally {
    await kafka.disconnect();
  }
}

/** Deletes those of `topics` that exist; answers how many. */
export async function deleteTopics(brokers: string, topics: (existing: string[]) => string[]): Promise<number> {
  const kafka = admin(brokers);
  await kafka.connect();
  try {
    const gone = topics(await kafka.listTopics());
    if (gone.length > 0) await kafka.deleteTopics({ topics: gone, timeout: 30_000 });
    return gone.length;
  } finally {
    await kafka.disconnect();
  }
}

export async function dropDatabase(clickhouseUrl: string, database: string): Promise<void> {
  const res = await fetch(clickhouseUrl, { method: 'POST', body: `DROP DATABASE IF EXISTS \`${database}\` SYNC` });
  if (!res.ok) throw new Error(`dropping ${database}: ${res.status} ${await res.text()}`);
}

/** Drops the topics and databases made by tests since `before`; answers how many of each. */
export async function dropLeftovers(
  before: Snapshot,
  brokers: string,
  clickhouseUrl: string,
): Promise<{ topics: number; databases: number }> {
  const made = (name: string, seen: Set<string>) => !seen.has(name) && MADE_BY_A_TEST.test(name);
  const topics = await deleteTopics(brokers, (existing) => existing.filter((t) => made(t, before.topics)));
  const dbs = (await databases(clickhouseUrl)).filter((d) => made(d, before.databases));
  for (const db of dbs) await dropDatabase(clickhouseUrl, db);
  return { topics, databases: dbs.length };
}
