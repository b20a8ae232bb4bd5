import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the health endpoint reports of one worker: its name and `Worker.getState()`. */
export interface WorkerHealth {
  name: string;
  state: string;
}

export interface RunningHealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker process's health endpoint, for a container's healthcheck or a Kubernetes probe: GET
 * /healthz answers 200 while every worker is RUNNING, 503 otherwise (still starting, none yet,
 * draining after SIGTERM, stopped or failed), with each worker's state as JSON. It says nothing
 * else: no case, no configuration.
 */
export async function startHealthServer(opts: {
  port: number;
  host: string;
  workers: () => WorkerHealth[];
}): Promise<RunningHealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/healthz' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/healthz' ? 405 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: path === '/healthz' ? 'method_not_allowed' : 'not_found' }));
      return;
    }
    const workers = opts.workers();
    const ok = workers.length > 0 && workers.every((w) => w.state === 'RUNNING');
    const body = JSON.stringify({
      status: ok ? 'ok' : 'unavailable',
      workers: Object.fromEntries(workers.map((w) => [w.name, w.state])),
    });
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.keepAliveTimeout = 1_000;
  await listen(server, opts.port, opts.host);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
