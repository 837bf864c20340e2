/**
 * The files of an uploaded import, each as a stream: a zip archive (read from its central
 * directory with yauzl, stored or deflated entries, one at a time), a gzip-compressed CSV
 * (Umami's export), or a plain CSV. Told apart by their first bytes, not their names.
 * Directories, `__MACOSX/` and dot files in a zip are skipped.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import { ImportError } from './csv-table.ts';

export interface ArchiveEntry {
  name: string;
  open(): Promise<Readable>;
}

const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const GZIP = Buffer.from([0x1f, 0x8b]);

async function firstBytes(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function skipped(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return name.endsWith('/') || name.startsWith('__MACOSX/') || base.startsWith('.');
}

function openZip(path: string, label: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, zip) => {
      if (error) reject(new ImportError(label, null, `not a readable zip archive (${error.message})`));
      else resolve(zip);
    }),
  );
}

async function zipEntries(path: string, label: string): Promise<{ entries: ArchiveEntry[]; close(): void }> {
  const zip = await openZip(path, label);
  const entries: ArchiveEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!skipped(entry.fileName)) {
        entries.push({
          name: entry.fileName,
          open: () =>
            new Promise<Readable>((done, fail) =>
              zip.openReadStream(entry, (error, stream) => {
                if (error) fail(new ImportError(entry.fileName, null, `cannot be read from the archive (${error.message})`));
                else {
                  // A damaged entry fails while it streams: say which file, not where the bytes stopped.
                  stream.on('error', () => {});
                  done(stream);
                }
              }),
            ),
        });
      }
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', (error: Error) => reject(new ImportError(label, null, `not a readable zip archive (${error.message})`)));
    zip.readEntry();
  });
  return { entries, close: () => zip.close() };
}

/** The files of the upload at `path`; `label` names it in errors (the uploaded file's name). */
export async function readArchive(path: string, label: string): Promise<{ entries: ArchiveEntry[]; close(): void }> {
  const head = await firstBytes(path);
  if (head.length === 0) throw new ImportError(label, null, 'is empty');
  if (head.equals(ZIP) || head.equals(EMPTY_ZIP)) return zipEntries(path, label);
  const csvName = label.replace(/\.gz$/i, '');
  if (head.subarray(0, 2).equals(GZIP)) {
    return { entries: [{ name: csvName, open: async () => createReadStream(path).pipe(createGunzip()) }], close: () => {} };
  }
  return { entries: [{ name: csvName, open: async () => createReadStream(path) }], close: () => {} };
}
