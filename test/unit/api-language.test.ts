import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { loadConfig } from '../../src/platform/config';
import { DomainError } from '../../src/platform/domain/errors';
import { createAuthenticator, signToken } from '../../src/platform/http/auth';
import { problemHandler } from '../../src/platform/http/errors';
import { preferredLanguage } from '../../src/platform/http/language';
import { en } from '../../src/platform/http/messages/en';
import { zhCN } from '../../src/platform/http/messages/zh-CN';
import { defineRoute, mountRoutes } from '../../src/platform/http/route';
import { intakeSchema } from '../../src/modules/lead/schemas/leads';

const cfg = loadConfig({ NODE_ENV: 'test' });
const { authenticate } = createAuthenticator(cfg);

const routes = [
  defineRoute({
    method: 'post',
    path: '/v1/leads',
    summary: 'intake',
    roles: 'public',
    request: { body: intakeSchema },
    responses: {},
    handler: ({ body }, _req, res) => void res.json(body.applicant),
  }),
  defineRoute({
    method: 'post',
    path: '/v1/refused',
    summary: 'a domain refusal',
    roles: 'public',
    request: { body: z.strictObject({}) },
    responses: {},
    handler: () => {
      throw new DomainError('quiet_hours', 'no contact between 21:00 and 08:00 (Asia/Shanghai)');
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/signed-in',
    summary: 'needs a token',
    roles: 'public',
    before: [authenticate],
    responses: {},
    handler: (_input, _req, res) => void res.json({ ok: true }),
  }),
];

async function call(path: string, headers: Record<string, string>, body?: unknown) {
  const app = express();
  app.use(express.json());
  app.use(mountRoutes(express.Router(), routes));
  app.use(problemHandler(() => undefined));
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  } finally {
    server.close();
  }
}

const ZH = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };
const EN = { 'accept-language': 'en-GB,en;q=0.9' };

const applicant = {
  name: '张三',
  idNumber: '110105199001011232',
  phone: '13810345678',
  residenceRegion: '110105',
  occupation: 'salaried',
  monthlyIncome: 20000,
  monthlyDebt: 3000,
};
const lead = (a: Record<string, unknown> = {}, request: Record<string, unknown> = {}) => ({
  channelId: 'ch-1',
  applicant: { ...applicant, ...a },
  request: { amount: 100000, termMonths: 24, purpose: 'consumption', ...request },
});

describe('the caller’s language is chosen by Accept-Language q-values', () => {
  test.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh', 'zh-CN'],
    ['zh-CN', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['ZH-tw', 'zh-CN'],
    ['en-US,en;q=0.9', 'en'],
    ['en;q=0.5, zh;q=0.8', 'zh-CN'],
    ['zh;q=0.3, en;q=0.7', 'en'],
    ['fr-FR, zh;q=0.5', 'zh-CN'],
    ['fr-FR, de', 'en'],
    ['zh;q=0, en', 'en'],
    ['*', 'en'],
  ])('%p → %s', (header, lang) => {
    expect(preferredLanguage(header)).toBe(lang);
  });
});

describe('validation errors', () => {
  test('a missing field is "必填" in Chinese and "required" in English; the code does not change', async () => {
    const zh = await call('/v1/leads', ZH, lead({ name: undefined }, { amount: undefined }));
    expect(zh.status).toBe(422);
    expect(zh.headers.get('content-language')).toBe('zh-CN');
    expect(zh.body).toMatchObject({ code: 'validation_failed', title: '无法处理的请求', detail: '请求中有字段不合规' });
    expect(zh.body.errors).toEqual([
      { path: 'applicant.name', message: '必填' },
      { path: 'request.amount', message: '必填' },
    ]);

    const english = await call('/v1/leads', EN, lead({ name: undefined }, { amount: undefined }));
    expect(english.body).toMatchObject({
      code: 'validation_failed',
      title: 'Unprocessable Content',
      detail: 'the request has invalid fields',
    });
    expect(english.body.errors).toEqual([
      { path: 'applicant.name', message: 'required' },
      { path: 'request.amount', message: 'required' },
    ]);
  });

  test('without Accept-Language the answer is English, as before', async () => {
    const res = await call('/v1/leads', {}, lead({ occupation: 'astronaut' }));
    expect(res.headers.get('content-language')).toBe('en');
    expect(res.body.title).toBe('Unprocessable Content');
    expect(res.body.errors).toEqual([
      { path: 'applicant.occupation', message: expect.stringMatching(/^Invalid option: expected one of/) },
    ]);
  });

  test('zod’s own messages come from zod’s zh-CN locale, the schemas’ own from the catalogue', async () => {
    const res = await call('/v1/leads', ZH, lead({ occupation: 'astronaut', phone: '12345' }, { termMonths: 1.5 }));
    const byPath = Object.fromEntries(
      res.body.errors.map((e: { path: string; message: string }) => [e.path, e.message]),
    );
    expect(byPath['applicant.occupation']).toMatch(/^无效选项/);
    expect(byPath['applicant.phone']).toBe(zhCN.fields.mainland_mobile);
    expect(byPath['request.termMonths']).toMatch(/[\u4e00-\u9fff]/);
    expect(JSON.stringify(res.body.errors)).not.toMatch(/Invalid|must be/);
  });

  test('requests in both languages at once each get their own', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call('/v1/leads', i % 2 ? ZH : EN, lead({ name: undefined }))),
    );
    answers.forEach((res, i) => expect(res.body.errors[0].message).toBe(i % 2 ? '必填' : 'required'));
  });
});

test('a domain refusal speaks the caller’s language, with the same code', async () => {
  const zh = await call('/v1/refused', ZH, {});
  expect(zh.status).toBe(422);
  expect(zh.body).toMatchObject({ code: 'quiet_hours', detail: zhCN.codes.quiet_hours, title: '无法处理的请求' });
  const english = await call('/v1/refused', EN, {});
  expect(english.body).toMatchObject({
    code: 'quiet_hours',
    detail: 'no contact between 21:00 and 08:00 (Asia/Shanghai)',
    title: 'Unprocessable Content',
  });
});

describe('credentials', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const expired = () =>
    new SignJWT({ role: 'manager' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('m1')
      .setIssuer(cfg.JWT_ISSUER)
      .setAudience(cfg.JWT_AUDIENCE)
      .setIssuedAt(now() - 7200)
      .setExpirationTime(now() - 3600)
      .sign(new TextEncoder().encode(cfg.JWT_SECRET));

  test('an expired token is token_expired and says so, apart from a garbled one, in both languages', async () => {
    const token = await expired();
    const zhExpired = await call('/v1/signed-in', { ...ZH, authorization: `Bearer ${token}` });
    const zhInvalid = await call('/v1/signed-in', { ...ZH, authorization: 'Bearer not.a.token' });
    expect(zhExpired).toMatchObject({
      status: 401,
      body: { code: 'token_expired', title: '未认证', detail: '访问令牌已过期，请重新获取' },
    });
    expect(zhInvalid).toMatchObject({
      status: 401,
      body: { code: 'invalid_token', title: '未认证', detail: '访问令牌无效' },
    });

    const enExpired = await call('/v1/signed-in', { ...EN, authorization: `Bearer ${token}` });
    const enInvalid = await call('/v1/signed-in', { ...EN, authorization: 'Bearer not.a.token' });
    expect(enExpired.body).toMatchObject({
      code: 'token_expired',
      title: 'Unauthorized',
      detail: expect.stringContaining('expired'),
    });
    expect(enInvalid.body).toMatchObject({ code: 'invalid_token', detail: 'the bearer token is invalid' });
  });

  test('no credential: unauthenticated in the caller’s language', async () => {
    const zh = await call('/v1/signed-in', ZH);
    expect(zh.body).toMatchObject({ code: 'unauthenticated', detail: zhCN.codes.unauthenticated });
    const ok = await call('/v1/signed-in', {
      ...ZH,
      authorization: `Bearer ${await signToken(cfg, { sub: 'm1', role: 'manager' })}`,
    });
    expect(ok).toMatchObject({ status: 200, body: { ok: true } });
  });
});

describe('full-width input', () => {
  test('a full-width ID number, phone and amount are read as their half-width forms', async () => {
    const res = await call(
      '/v1/leads',
      ZH,
      lead({
        idNumber: '１１０１０５１９９００１０１１２３２',
        phone: '１３８１０３４５６７８',
        monthlyIncome: '２００００',
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ idNumber: '110105199001011232', phone: '13810345678', monthlyIncome: 20000 });
  });

  test('a full-width Ｘ check digit is read as X', async () => {
    // 11010519491231002X is the standard's own example.
    const res = await call('/v1/leads', EN, lead({ idNumber: '１１０１０５１９４９１２３１００２Ｘ' }));
    expect(res).toMatchObject({ status: 200, body: { idNumber: '11010519491231002X' } });
  });

  test('a wrong full-width ID number is still refused, saying why, without echoing it', async () => {
    const wrong = '１１０１０５１９９００１０１１２３３';
    const zh = await call('/v1/leads', ZH, lead({ idNumber: wrong, phone: '１２３４５' }));
    expect(zh.status).toBe(422);
    expect(zh.body.errors).toEqual([
      { path: 'applicant.idNumber', message: zhCN.fields.id_check_digit },
      { path: 'applicant.phone', message: zhCN.fields.mainland_mobile },
    ]);
    const english = await call('/v1/leads', EN, lead({ idNumber: '１１０１０５－１９９００１０１１２３' }));
    expect(english.body.errors).toEqual([{ path: 'applicant.idNumber', message: en.fields.id_format }]);
    expect(JSON.stringify(zh.body)).not.toContain(wrong);
  });
});

test('every field message and code of the English catalogue has its Chinese words', () => {
  expect(Object.keys(zhCN.fields).sort()).toEqual(Object.keys(en.fields).sort());
  for (const code of Object.keys(en.codes)) expect(zhCN.codes[code]).toEqual(expect.any(String));
  expect(Object.keys(zhCN.titles)).toEqual(Object.keys(en.titles));
});
