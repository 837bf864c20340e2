/**
 * Shared-link passwords, hashed with scrypt and kept as a PHC string (the format of
 * https://github.com/P-H-C/phc-string-format, as passlib and others write scrypt):
 *
 *   $scrypt$ln=15,r=8,p=1$<salt>$<hash>     salt 16 bytes, hash 32 bytes, base64 without padding
 *
 * `ln` is log2 of scrypt's N. Verifying reads the parameters from the string, so they can be
 * raised later without breaking stored hashes. scrypt runs on libuv's thread pool (async).
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

export const SCRYPT = { ln: 15, r: 8, p: 1, saltBytes: 16, hashBytes: 32 } as const;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function derive(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

function options(ln: number, r: number, p: number): ScryptOptions {
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly N=2^15, r=8: leave room.
  return { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r + 1024 * 1024 };
}

export async function hashPassword(password: string): Promise<string> {
  const { ln, r, p } = SCRYPT;
  const salt = randomBytes(SCRYPT.saltBytes);
  const hash = await derive(password, salt, SCRYPT.hashBytes, options(ln, r, p));
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

/** False for a wrong password and for a string that is not a scrypt PHC string. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = PHC.exec(stored);
  if (!match) return false;
  const [, ln, r, p, salt = '', hash = ''] = match;
  const expected = Buffer.from(hash, 'base64');
  if (Number(ln) > 20 || expected.length < 16) return false;
  const actual = await derive(password, Buffer.from(salt, 'base64'), expected.length, options(Number(ln), Number(r), Number(p)));
  return timingSafeEqual(actual, expected);
}
