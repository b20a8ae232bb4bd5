import type { Server } from 'node:http';

/**
 * Stops an HTTP server without cutting the requests it is answering: it takes no new connections,
 * closes keep-alive connections as soon as they are idle, and calls `release` (close Temporal and
 * Postgres) once every request in flight has been answered, or once `graceMs` has passed, whichever
 * comes first. A request cut short would leave its work half-recorded: an action applied by its
 * workflow without its audit row, or an Idempotency-Key that answers 409 for ever.
 */
export function drain(server: Server, opts: { graceMs: number; release: () => Promise<void> }): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = async () => {
      if (done) return;
      done = true;
      clearInterval(sweeper);
      clearTimeout(deadline);
      server.closeAllConnections(); // past the grace (or nothing left): whatever remains is cut
      await opts.release().catch(() => undefined);
      resolve();
    };
    server.close(() => void finish());
    // A connection that answered its last request goes idle: close it, so server.close can complete.
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    server.closeIdleConnections();
    const deadline = setTimeout(() => void finish(), opts.graceMs);
  });
}
