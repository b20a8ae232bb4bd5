import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { problemHandler } from '../../src/platform/http/errors';
import { DomainError } from '../../src/platform/domain/errors';

async function answerFor(err: unknown) {
  const app = express();
  app.get('/x', () => {
    throw err;
  });
  app.use(problemHandler(() => undefined));
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } finally {
    server.close();
  }
}

test('an unreachable database is 503 database_unavailable, not a 500', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  expect(await answerFor(refused)).toMatchObject({
    status: 503,
    body: { code: 'database_unavailable', retryable: true },
  });
  expect(await answerFor(new Error('timeout exceeded when trying to connect'))).toMatchObject({ status: 503 });
  // Postgres shutting down or starting up, and a transaction whose connection was lost: all worth a retry.
  for (const code of ['57P01', '57P03', '08006']) {
    expect(await answerFor(Object.assign(new Error('the database system is starting up'), { code }))).toMatchObject({
      status: 503,
      body: { code: 'database_unavailable' },
    });
  }
  expect(await answerFor(new QueryRunnerAlreadyReleasedError())).toMatchObject({
    status: 503,
    body: { code: 'database_unavailable' },
  });
  expect(await answerFor(new QueryRunnerProviderAlreadyReleasedError())).toMatchObject({
    status: 503,
    body: { code: 'database_unavailable' },
  });
});

test('an unexpected error is a 500 that reveals nothing of it', async () => {
  const { status, body } = await answerFor(new Error('secret internals 13812345678'));
  expect(status).toBe(500);
  expect(JSON.stringify(body)).not.toContain('13812345678');
});

test('a value the database refuses (out of range, NUL in text) is a 422, not a 500', async () => {
  const outOfRange = Object.assign(new Error('value "33809175542478" is out of range for type integer'), {
    code: '22003',
  });
  expect(await answerFor(outOfRange)).toMatchObject({ status: 422, body: { code: 'invalid_value' } });
  expect(JSON.stringify((await answerFor(outOfRange)).body)).not.toContain('33809175542478');
});

test('a domain error answers with the status its code maps to, its message and its details', async () => {
  expect(await answerFor(new DomainError('case_not_found', 'case c1 was not found'))).toMatchObject({
    status: 404,
    body: { code: 'case_not_found', detail: 'case c1 was not found' },
  });
  expect(await answerFor(new DomainError('wrong_stage', 'not now'))).toMatchObject({
    status: 409,
    body: { code: 'wrong_stage' },
  });
  const busy = new DomainError('temporal_unavailable', 'retry later', { retryable: true });
  expect(await answerFor(busy)).toMatchObject({ status: 503, body: { code: 'temporal_unavailable', retryable: true } });
});

test('a domain error whose code the table does not list is a 422 refusal of the request as made', async () => {
  expect(await answerFor(new DomainError('quiet_hours', 'outside contact hours'))).toMatchObject({
    status: 422,
    body: { code: 'quiet_hours' },
  });
});
