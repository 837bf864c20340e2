/**
 * `pnpm tidemark topic tail`: the events on the Kafka topic, decoded (any framing, any schema
 * version this build knows), one JSON object per line on stdout; what cannot be decoded is
 * said on stderr. Reads in a consumer group of its own that commits nothing, so it never
 * moves the ingesters' offsets.
 */
import { ConfigError, decodeMessage, loadConfig, openKafkaTopics, plainLogger, type TopicRecord } from '@tidemark/shared';
import { type Command, parseOptions } from './command.ts';

export const topicTail: Command = {
  name: 'topic tail',
  summary: 'print the events on the Kafka topic (KAFKA_TOPIC) as JSON lines',
  usage: '[--from-beginning] [--no-follow] [--limit N] [--topic NAME] [--meta]',
  async run(args, env) {
    const options = parseOptions(args, { flags: ['--from-beginning', '--no-follow', '--meta'], values: ['--limit', '--topic'] });
    const config = loadConfig(env);
    const brokers = config.kafka.brokers;
    if (brokers === null) throw new ConfigError('KAFKA_BROKERS must be set: the topic exists in the distributed mode only');
    const topic = (options.get('--topic') as string | undefined) ?? config.kafka.topic;
    const limitText = options.get('--limit') as string | undefined;
    const limit = limitText === undefined ? Number.POSITIVE_INFINITY : Number(limitText);
    if (limitText !== undefined && !(Number.isInteger(limit) && limit >= 1))
      throw new Error('--limit must be a whole number of events, 1 or more');
    const follow = !options.has('--no-follow');
    const meta = options.has('--meta');

    const topics = await openKafkaTopics(config.kafka, 'tidemark-tail', plainLogger('silent'));
    // Without following: stop at each partition's end as it is now.
    const ends = new Map((await topics.ends(topic)).filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
    let printed = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const print = (record: TopicRecord) => {
      try {
        for (const event of decodeMessage(record)) {
          if (printed >= limit) break;
          const line = meta
            ? {
                partition: record.partition,
                offset: String(record.offset),
                key: record.key?.toString() ?? null,
                headers: record.headers,
                event,
              }
            : event;
          process.stdout.write(`${JSON.stringify(line)}\n`);
          printed++;
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`${JSON.stringify({ partition: record.partition, offset: String(record.offset), error: message })}\n`);
      }
      const end = ends.get(record.partition);
      if (end !== undefined && record.offset + 1n >= end) ends.delete(record.partition);
      if (printed >= limit || (!follow && ends.size === 0)) finish();
    };
    if (!follow && (ends.size === 0 || !options.has('--from-beginning'))) {
      await topics.close();
      return 0;
    }
    const reader = await topics.read(topic, { fromBeginning: options.has('--from-beginning') }, print);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    await finished;
    await reader.close();
    await topics.close();
    return 0;
  },
};
