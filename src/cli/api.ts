/**
 * How the CLI reaches Tidemark: the admin API over HTTP (so every change is validated and
 * audited exactly as the dashboard's), at `TIDEMARK_URL` (default the local dashboard API),
 * with `TIDEMARK_KEY` or else `API_TOKEN` as the Bearer key. Without either, the API must be in
 * its open loopback mode.
 */
import { type Command, usageText } from './command.ts';
import { apiTarget, refusalOf } from './http.ts';

export class CliError extends Error {}

export interface Api {
  url: string;
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

function createApi(env: Record<string, string | undefined>, url?: string): Api {
  const { url: base, headers: auth } = apiTarget(env, url);
  return {
    url: base,
    async call(method, path, body) {
      const headers: Record<string, string> = { ...auth };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      } catch (error) {
        throw new CliError(`cannot reach ${base} (${(error as Error).cause ?? (error as Error).message}); set TIDEMARK_URL`);
      }
      const text = await res.text();
      if (!res.ok) throw new CliError(refusalOf(res.status, text));
      return (text ? JSON.parse(text) : {}) as never;
    },
  };
}

/** The options every access command takes, wherever they are in its arguments. */
const GLOBAL_USAGE = `  (every form takes --url <dashboard API> (default $TIDEMARK_URL, or http://127.0.0.1:$API_PORT)
   and --json (print what the API answered); the key is $TIDEMARK_KEY, or else $API_TOKEN)`;

/** Takes the global options out of `argv`, wherever they are. */
function globals(argv: readonly string[]): { url: string | undefined; json: boolean; args: string[] } {
  const args: string[] = [];
  let url: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') json = true;
    else if (arg === '--url') url = argv[++i];
    else if (arg.startsWith('--url=')) url = arg.slice(6);
    else args.push(arg);
  }
  return { url, json, args };
}

/**
 * A `pnpm tidemark` command over the admin API: `run` gets the API, its arguments without the
 * global options, and whether to print JSON, and returns what to print. A refusal (the API's,
 * or of the arguments) is one line on stderr and exit code 1.
 */
export function accessCommand(
  name: string,
  summary: string,
  usage: string,
  run: (api: Api, args: string[], json: boolean, usage: string) => Promise<string>,
): Command {
  return {
    name,
    summary,
    usage: `${usage}\n${GLOBAL_USAGE}`,
    async run(argv, env) {
      const { url, json, args } = globals(argv);
      try {
        process.stdout.write(await run(createApi(env, url), args, json, usageText(name, usage)));
        return 0;
      } catch (error) {
        if (error instanceof CliError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
          process.stderr.write(`tidemark ${name}: ${(error as Error).message}\n`);
          return 1;
        }
        throw error;
      }
    },
  };
}
