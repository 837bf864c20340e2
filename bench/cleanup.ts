/**
 * What a benchmark run leaves on the shared local services goes again when it ends: its
 * topics and databases. A full run writes millions of events; kept, they pile up into
 * gigabytes of partition data (8.6 GB in one bench topic after a day of runs), and a broker
 * in that state is slower than a fresh one, which then shows in the next runs' figures.
 */
import { deleteTopics, dropDatabase as drop } from '../test/leftovers.ts';

/** Deletes those of `topics` that exist; a failure is reported, not thrown (the figures stand). */
export async function dropTopics(brokers: string, topics: string[]): Promise<void> {
  try {
    await deleteTopics(brokers, (existing) => topics.filter((t) => existing.includes(t)));
  } catch (error) {
    process.stderr.write(`bench: could not delete topics ${topics.join(', ')}: ${String(error)} (pnpm services:reset removes them)\n`);
  }
}

/** Drops a database; a failure is reported, not thrown. */
export async function dropDatabase(clickhouseUrl: string, database: string): Promise<void> {
  try {
    await drop(clickhouseUrl, database);
  } catch (error) {
    process.stderr.write(`bench: could not drop database ${database}: ${String(error)} (pnpm services:reset removes it)\n`);
  }
}
