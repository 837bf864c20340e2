/**
 * How a connection ends after its last answer. Destroying it at once (Node's `destroySoon`)
 * resets it when bytes the client sent meanwhile are still unread, and a reset makes the
 * client's kernel drop the answer it has not read yet. Ending it, then reading and dropping
 * what still comes until the client's FIN or for at most `LINGER_MS`, delivers the answer
 * and still frees the connection within that time (a lingering close, as nginx and Apache do).
 */
import type { Duplex } from 'node:stream';

export const LINGER_MS = 1_000;

function drop(): void {}

export function closeAfter(socket: Duplex, lastBytes?: Buffer): void {
  if (lastBytes === undefined) socket.end();
  else socket.end(lastBytes);
  let finished = socket.writableFinished;
  let ended = socket.readableEnded;
  const close = () => {
    if (finished && ended) socket.destroy();
  };
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', () => {
    finished = true;
    close();
  });
  socket.once('end', () => {
    ended = true;
    close();
  });
  socket.on('data', drop);
  socket.resume();
  close();
}
