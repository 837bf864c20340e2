import type { AddressInfo, Server } from 'node:net';

/** Resolves with the port once `server` listens; rejects (e.g. EADDRINUSE) instead of throwing later. */
export function listening(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve((server.address() as AddressInfo).port);
    server.once('listening', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
    server.once('error', reject);
  });
}
