/** `pnpm start`: Tidemark in one process, embedded mode. */
import { runMain } from '@tidemark/shared';
import { startEmbedded } from './embedded.ts';

runMain('tidemark', async (config, log) => {
  const stack = await startEmbedded(config, log);
  const script = `${stack.collectorUrl}${config.collector.scriptPath}`;
  process.stdout.write(
    [
      '',
      'Tidemark is running (embedded mode).',
      '',
      '  Paste into your pages:',
      `    <script defer src="${script}" data-site="example.com"></script>`,
      '',
      `  Events API   ${stack.collectorUrl}${config.collector.eventsPath}`,
      `  Dashboard    ${stack.apiUrl}/${config.api.token === null ? '' : '   (sign in with API_TOKEN)'}`,
      `  Settings     ${stack.apiUrl}/settings   (sites, keys, shared links; or pnpm tidemark sites add …)`,
      `  Stats API    ${stack.apiUrl}/api/v1/live?site=example.com&window=5m`,
      `  Metrics      ${stack.metricsUrl}`,
      `  ${stack.sites}`,
      `  Data         ${config.clickhouse.url ?? config.clickhouse.dataDir}`,
      '',
      '  Ctrl-C flushes buffered events and stops.',
      '',
    ].join('\n'),
  );
  return stack.stop;
});
