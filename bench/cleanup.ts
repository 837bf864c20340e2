/**
 * What a benchmark run leaves on the shared local services goes again when it ends: its
 * topics and databases. A full run writes millions of events; kept, they pile up into
 * gigabytes of partition data (8.6 GB in one bench topic after a day of runs), and a broker
 * in that state is slower than a fresh one, which then shows in the next runs' figures.
 */
import { kafkaClient, plainLogger } from '@tidemark/shared';

/** Deletes those of `topics` that exist; a failure is reported, not thrown (the figures stand). */
export async function dropTopics(brokers: string, topics: string[]): Promise<void> {
  const admin = kafkaClient(brokers.split(','), 'tidemark-bench-cleanup', plainLogger()).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await admin.deleteTopics({ topics: gone, timeout: 30_000 });
  } catch (error) {
    process.stderr.write(`bench: could not delete topics ${topics.join(', ')}: ${String(error)} (pnpm services:reset removes them)\n`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Drops a database; a failure is reported, not thrown. */
export async function dropDatabase(clickhouseUrl: string, database: string): Promise<void> {
  try {
    const res = await fetch(clickhouseUrl, { method: 'POST', body: `DROP DATABASE IF EXISTS \`${database}\` SYNC` });
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  } catch (error) {
    process.stderr.write(`bench: could not drop database ${database}: ${String(error)} (pnpm services:reset removes it)\n`);
  }
}
