/**
 * `pnpm tidemark <command> …`: one dispatcher, one file per command. The access commands talk
 * to the dashboard API's admin routes (`api.ts`), so the CLI works against any instance,
 * embedded or distributed, and its changes are validated and audited like the dashboard's.
 */
import { CliError, createApi } from './api.ts';
import { AUDIT_USAGE, audit } from './audit.ts';
import { KEYS_USAGE, keys } from './keys.ts';
import { LINKS_USAGE, links } from './links.ts';
import { SITES_USAGE, sites } from './sites.ts';
import { USERS_USAGE, users } from './users.ts';

const COMMANDS = { sites, keys, links, users, audit } as const;

const USAGE = `Usage (global options: --url <dashboard API>, default $TIDEMARK_URL or http://127.0.0.1:$API_PORT;
the key is $TIDEMARK_KEY or $API_TOKEN; --json prints JSON):

${[SITES_USAGE, KEYS_USAGE, LINKS_USAGE, USERS_USAGE, AUDIT_USAGE].join('\n\n')}
`;

/** Takes the global options out of `argv`, wherever they are. */
function globals(argv: string[]): { url: string | undefined; json: boolean; help: boolean; args: string[] } {
  const args: string[] = [];
  let url: string | undefined;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--url') url = argv[++i];
    else if (arg.startsWith('--url=')) url = arg.slice(6);
    else args.push(arg);
  }
  return { url, json, help, args };
}

async function main(argv: string[]): Promise<number> {
  const { url, json, help, args } = globals(argv);
  const [name, ...rest] = args;
  if (help || !name) {
    process.stdout.write(USAGE);
    return help ? 0 : 2;
  }
  const command = COMMANDS[name as keyof typeof COMMANDS];
  if (!command) {
    process.stderr.write(`tidemark: no command ${name}\n\n${USAGE}`);
    return 2;
  }
  try {
    process.stdout.write(await command(createApi(process.env, url), rest, json));
    return 0;
  } catch (error) {
    if (error instanceof CliError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tidemark ${name}: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
