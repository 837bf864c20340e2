/**
 * `pnpm tidemark sites|keys|links|users|audit` as a user runs it: the CLI in its own process
 * against a dashboard API listening on a port (over the real ClickHouse server), authorised by
 * `API_TOKEN` from the environment.
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AccessApp, startAccessApp, TOKEN } from './access-support.ts';
import { ROOT } from './harness.ts';

const exec = promisify(execFile);

describe('the tidemark CLI', () => {
  let t: AccessApp;
  let server: Server;
  let url = '';

  beforeAll(async () => {
    t = await startAccessApp(inject('clickhouseUrl'));
    server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    t?.app.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  async function cli(args: string[], env: Record<string, string> = { API_TOKEN: TOKEN }, input?: string) {
    const child = exec(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TIDEMARK_URL: url, ...env },
    });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    try {
      const { stdout, stderr } = await child;
      return { code: 0, stdout, stderr };
    } catch (error) {
      const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
      return { code, stdout, stderr };
    }
  }

  it('adds, updates, shows and lists a site, and refuses a bad one with the server’s message', async () => {
    const added = await cli([
      'sites',
      'add',
      'cli.example',
      '--timezone',
      'Europe/Berlin',
      '--exclude-ip',
      '10.0.0.0/8',
      '--exclude-ip',
      '203.0.113.7',
      '--exclude-path',
      '/admin/**',
      '--goals',
      '[{"path":"/thanks"}]',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/timezone\s+Europe\/Berlin/);
    expect(added.stdout).toMatch(/excluded ips\s+10\.0\.0\.0\/8,203\.0\.113\.7/);
    const stored = t.access.store.get('sites', 'cli.example');
    expect(await stored).toMatchObject({ timezone: 'Europe/Berlin', exclude: { paths: ['/admin/**'] }, goals: [{ path: '/thanks' }] });

    const updated = await cli(['sites', 'update', 'cli.example', '--exclude-country', 'fr', '--public', '--json']);
    expect(JSON.parse(updated.stdout)).toMatchObject({ public: true, exclude: { countries: ['FR'], ips: ['10.0.0.0/8', '203.0.113.7'] } });
    const listed = await cli(['sites', 'list']);
    expect(listed.stdout).toMatch(/^SITE\s+TIMEZONE/);
    expect(listed.stdout).toMatch(/cli\.example\s+Europe\/Berlin\s+any\s+2\/1\/1\s+1\s+yes/);

    const bad = await cli(['sites', 'add', 'bad.example', '--exclude-ip', '10.0.0.0/99']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/tidemark sites: 400: \/exclude\/ips\/0: must be an IP address or CIDR range/);
    const dup = await cli(['sites', 'add', 'cli.example']);
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringMatching(/409: site: cli\.example is already registered/)]);
  });

  it('creates a key shown once, lists it by prefix, and revokes it', async () => {
    const made = await cli(['keys', 'create', '--name', 'from cli', '--scope', 'stats:read', '--site', 'cli.example', '--json']);
    const { key, id, prefix } = JSON.parse(made.stdout) as { key: string; id: string; prefix: string };
    expect(key).toMatch(/^tmk_/);
    expect((await t.request('/api/v1/live?site=cli.example', { as: { bearer: key } })).status).toBe(200);
    const listed = await cli(['keys', 'list']);
    expect(listed.stdout).toContain(`${prefix}…`);
    expect(listed.stdout).not.toContain(key);
    // The CLI works with the new key too (TIDEMARK_KEY), within what the key may do.
    const asKey = await cli(['sites', 'list'], { TIDEMARK_KEY: key });
    expect([asKey.code, asKey.stderr]).toEqual([1, expect.stringMatching(/403: this needs the sites:admin scope/)]);
    expect((await cli(['keys', 'revoke', id])).stdout).toMatch(/revoked/);
    expect((await t.request('/api/v1/live?site=cli.example', { as: { bearer: key } })).status).toBe(401);
    const noKey = await cli(['keys', 'list'], {});
    expect(noKey.stderr).toMatch(/401: .*\(set TIDEMARK_KEY or API_TOKEN\)/);
  });

  it('makes a password link from stdin, manages users, and reads the audit log', async () => {
    const link = await cli(
      ['links', 'create', 'cli.example', '--name', 'board', '--password-stdin', '--json'],
      undefined,
      'typed secret\n',
    );
    const made = JSON.parse(link.stdout) as { slug: string; hasPassword: boolean };
    expect(made.hasPassword).toBe(true);
    const unlock = await t.request(`/share/${made.slug}/unlock`, {
      method: 'POST',
      body: JSON.stringify({ password: 'typed secret' }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(unlock.status).toBe(200);
    expect((await cli(['users', 'add', 'Eve@Example.com', '--role', 'viewer', '--site', 'cli.example'])).stdout).toBe(
      'eve@example.com: viewer of cli.example\n',
    );
    const audit = await cli(['audit', '--limit', '20']);
    for (const action of ['site.create', 'site.update', 'key.create', 'key.revoke', 'link.create', 'user.create'])
      expect(audit.stdout).toContain(action);
    expect(audit.stdout).not.toContain('typed secret');
    expect((await cli(['links', 'revoke', 'cli.example', made.slug])).code).toBe(0);
    expect((await cli(['sites', 'remove', 'cli.example'])).stdout).toMatch(/removed cli\.example/);
  });
});
