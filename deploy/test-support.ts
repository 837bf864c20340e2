/**
 * What the deployment tests read: docker-compose.yml with `.env`-style interpolation, the
 * Dockerfiles as stages of instructions, and the variables the services' config schema knows
 * (derived by watching `loadConfig` read its environment, so a new variable is known at once).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '@tidemark/shared';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Tidemark services and the files that make them. */
export const SERVICES = ['collector', 'ingester', 'dashboard-api'] as const;
export type ServiceName = (typeof SERVICES)[number];

export function dockerfilePath(service: ServiceName): string {
  return `deploy/docker/${service}.Dockerfile`;
}

export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export function repoPathExists(path: string): boolean {
  return existsSync(join(ROOT, path));
}

// ---------------------------------------------------------------------------------------------
// Configuration variables

type Env = Record<string, string>;

/** Every variable `loadConfig` reads with nothing set, and with `env` set. */
export function readVariables(env: Env = {}): Set<string> {
  const seen = new Set<string>();
  const watch = (target: Env) =>
    new Proxy(target, {
      get(t, key) {
        if (typeof key === 'string') seen.add(key);
        return Reflect.get(t, key);
      },
    });
  loadConfig(watch({}));
  try {
    loadConfig(watch({ ...env })); // also records reads that depend on the values set
  } catch {
    // a bad value is another test's finding; the variables read up to it are recorded
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  restart?: string;
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  read_only?: boolean;
  user?: string;
}

export interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** The `${VAR}`, `${VAR:-default}` and `${VAR:?error}` references of a compose text. */
export function interpolations(text: string): { name: string; operator: string | undefined }[] {
  return [...text.matchAll(INTERPOLATION)].map((m) => ({ name: m[1] ?? '', operator: m[2] }));
}

/** Fills the interpolations as `docker compose` does; a required variable missing throws. */
export function interpolate(text: string, env: Env): string {
  return text.replace(INTERPOLATION, (_, name: string, operator: string | undefined, arg: string | undefined) => {
    const value = env[name];
    const set = value !== undefined && value !== '';
    if (operator === ':-' || operator === '-') return set ? value : (arg ?? '');
    if (operator === ':?' || operator === '?') {
      if (!set) throw new Error(`required variable ${name} is missing: ${arg ?? ''}`);
      return value;
    }
    return value ?? '';
  });
}

/** `deploy/env.example` as the operator fills it: example values kept, every secret generated. */
export function exampleEnv(): Env {
  const env: Env = {};
  for (const line of readRepoFile('deploy/env.example').split('\n')) {
    const match = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1]) continue;
    env[match[1]] = match[2] === '' || match[2] === undefined ? `secret-${match[1].toLowerCase()}-0123456789abcdef` : match[2];
  }
  return env;
}

export function loadCompose(env: Env = exampleEnv()): Compose {
  return parse(interpolate(readRepoFile('docker-compose.yml'), env), { merge: true }) as Compose;
}

/** A service's environment as strings (compose allows a map or a `KEY=value` list). */
export function environmentOf(service: ComposeService): Env {
  const env: Env = {};
  if (Array.isArray(service.environment)) {
    for (const item of service.environment) {
      const [key = '', ...rest] = item.split('=');
      env[key] = rest.join('=');
    }
  } else {
    for (const [key, value] of Object.entries(service.environment ?? {})) env[key] = value === null ? '' : String(value);
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

export interface Stage {
  name: string | null;
  image: string;
  instructions: { keyword: string; args: string; json: string[] | null }[];
}

export interface ParsedDockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

function jsonForm(instruction: Instruction): string[] | null {
  const content = instruction.getArgumentsContent()?.trim() ?? '';
  const at = content.indexOf('[');
  if (at < 0) return null;
  try {
    const value: unknown = JSON.parse(content.slice(at));
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
  } catch {
    return null;
  }
}

/** `--from=build`-style flags, which the parser keeps apart from the arguments. */
function flagsOf(instruction: Instruction): string[] {
  const withFlags = instruction as Instruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  if (typeof withFlags.getFlags !== 'function') return [];
  return withFlags.getFlags().map((f) => (f.getValue() === null ? `--${f.getName()}` : `--${f.getName()}=${f.getValue()}`));
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) args[property.getName()] = property.getValue() ?? '';
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    if (keyword === 'FROM') {
      const words = (instruction.getArgumentsContent() ?? '').trim().split(/\s+/);
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      const image = (words.find((w) => !w.startsWith('--')) ?? '').replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args[name] ?? '');
      stages.push({ name: as >= 0 ? (words[as + 1] ?? null) : null, image, instructions: [] });
      continue;
    }
    const text = [...flagsOf(instruction), (instruction.getArgumentsContent() ?? '').trim()].join(' ');
    stages.at(-1)?.instructions.push({ keyword, args: text, json: jsonForm(instruction) });
  }
  return { args, stages };
}

// ---------------------------------------------------------------------------------------------
// Reverse proxies
// ---------------------------------------------------------------------------------------------

/** A throwaway self-signed certificate (openssl) in `dir`, standing in for Let's Encrypt's. */
export async function selfSignedCertificate(
  dir: string,
  commonName = 'test',
  subjectAltName?: string,
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${commonName}`,
    '-keyout',
    key,
    '-out',
    cert,
    ...(subjectAltName ? ['-addext', `subjectAltName=${subjectAltName}`] : []),
  ]);
  return { cert, key };
}

/** `deploy/proxy/nginx.conf` with its Let's Encrypt paths pointing at `certificate`. */
export function nginxHostConfig({ cert, key }: { cert: string; key: string }): string {
  return readRepoFile('deploy/proxy/nginx.conf')
    .replaceAll(/\/etc\/letsencrypt\/live\/[^/]+\/fullchain\.pem/g, cert)
    .replaceAll(/\/etc\/letsencrypt\/live\/[^/]+\/privkey\.pem/g, key);
}

/** A whole nginx configuration running from `dir`: the host config (`tidemark.conf` there) and `servers`. */
export function nginxMainConfig(dir: string, servers: string[]): string {
  return [
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log;`,
    'events {}',
    'http {',
    `  access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;`,
    `  include ${dir}/tidemark.conf;`,
    ...servers.map((server) => `  ${server}`),
    '}',
  ].join('\n');
}
