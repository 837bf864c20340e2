import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password.ts';

const run = promisify(execFile);

/** Python's own scrypt (hashlib, OpenSSL's), reading and writing the PHC string: a reader nobody here wrote. */
const PYTHON = `
import base64, hashlib, os, sys
def b64(s): return base64.b64decode(s + '=' * (-len(s) % 4))
mode, password, stored = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ''
if mode == 'verify':
    _, name, params, salt, digest = stored.split('$')
    p = dict(kv.split('=') for kv in params.split(','))
    key = hashlib.scrypt(password.encode(), salt=b64(salt), n=2 ** int(p['ln']), r=int(p['r']), p=int(p['p']), dklen=len(b64(digest)), maxmem=2 ** 26)
    print('ok' if name == 'scrypt' and key == b64(digest) else 'wrong')
else:
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1, dklen=32, maxmem=2 ** 26)
    enc = lambda b: base64.b64encode(b).decode().rstrip('=')
    print('$scrypt$ln=14,r=8,p=1$' + enc(salt) + '$' + enc(key))
`;

async function python(...args: string[]): Promise<string> {
  const { stdout } = await run('python3', ['-c', PYTHON, ...args]);
  return stdout.trim();
}

describe('shared-link passwords (scrypt, PHC string)', () => {
  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsE', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(stored); // salted
  });

  it('refuses what is not a scrypt PHC string', async () => {
    for (const stored of [
      '',
      'plain',
      '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      '$scrypt$ln=40,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA',
    ]) {
      expect(await verifyPassword('x', stored)).toBe(false);
    }
  });

  it('agrees with Python’s hashlib.scrypt both ways', async () => {
    const ours = await hashPassword('über secret');
    expect(await python('verify', 'über secret', ours)).toBe('ok');
    expect(await python('verify', 'uber secret', ours)).toBe('wrong');
    const theirs = await python('hash', 'from python');
    expect(await verifyPassword('from python', theirs)).toBe(true);
    expect(await verifyPassword('from pythoN', theirs)).toBe(false);
  });
});
