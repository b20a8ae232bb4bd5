import { type Agent, request } from 'node:http';

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

/**
 * A POST of JSON to the API on 127.0.0.1; the answer's status and parsed body. A kept-alive socket
 * the server closed as idle just as it was reused fails before the server read anything: such a
 * request is sent once more on a new socket.
 */
export async function postJson(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<ApiAnswer> {
  const payload = Buffer.from(JSON.stringify(body));
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(agent, port, path, headers, payload);
    } catch (err) {
      if (attempt > 0 || !(err as { reusedSocket?: boolean }).reusedSocket) throw err;
    }
  }
}

function postOnce(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
  payload: Buffer,
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : null });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Only a request on a reused socket that the server reset before answering may be sent again.
      reject(
        Object.assign(err, {
          reusedSocket: req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up'),
        }),
      );
    });
    req.end(payload);
  });
}

/** A problem answer as the bench reports it: the status and the stable code, never the body's data. */
export const refusal = (what: string, res: ApiAnswer) =>
  new Error(`${what} answered ${res.status} ${String(res.body?.code ?? '')}`.trim());
