import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drain } from '../../src/platform/http/shutdown';

/** A real HTTP server whose `/slow` answers after `ms`, and whose `/never` never answers. */
async function serve(ms: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/never') return;
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('done'), ms);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stopping the API', () => {
  test('a request in flight is answered before Temporal and Postgres are released; new connections are refused', async () => {
    const { server, port } = await serve(400);
    const agent = new Agent({ keepAlive: true });
    const events: string[] = [];
    // An idle keep-alive connection, as a client pool leaves them, must not hold the stop up.
    await get(port, '/slow', agent);
    const inFlight = get(port, '/slow', agent).then((r) => (events.push('answered'), r));
    await sleep(50);
    const stopped = drain(server, { graceMs: 5_000, release: async () => void events.push('released') });

    await expect(get(port, '/slow', new Agent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    await stopped;
    expect(events).toEqual(['answered', 'released']);
    agent.destroy();
  });

  test('a request that never gets its answer is cut once the grace has passed, and the stop completes', async () => {
    const { server, port } = await serve(0);
    const agent = new Agent({ keepAlive: true });
    const hanging = get(port, '/never', agent).then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    await sleep(50);
    let released = false;
    await drain(server, { graceMs: 300, release: async () => void (released = true) });
    expect(released).toBe(true);
    expect(await hanging).toBe('ECONNRESET');
    agent.destroy();
  });
});
