import { request } from 'node:http';
import { SignJWT } from 'jose';
import { aChannel, aLead, actors, anIdNumber, aPhone } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';

/**
 * Issue 23, item 6 through the whole API: answers in the caller's language, and full-width digits
 * (as Chinese input methods type them) read as half-width at intake.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

const fullWidth = (s: string): string =>
  s.replace(/[0-9X]/g, (c) => (c === 'X' ? 'Ｘ' : String.fromCharCode(0xff10 + Number(c))));
const ZH = { 'accept-language': 'zh-CN,zh;q=0.9' };

test('a full-width ID number and phone are taken as their half-width forms: stored, masked and matched as such', async () => {
  const ch = await aChannel(stack.db);
  const idNumber = anIdNumber();
  const phone = aPhone();
  const lead = aLead({
    channelId: ch.id,
    consent: null,
    applicant: { idNumber: fullWidth(idNumber), phone: fullWidth(phone) },
  });
  const first = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead, ZH);
  expect(first.status).toBe(201);

  const view = await stack.api(actors.manager(), 'GET', `/v1/leads/${first.body.caseId}`);
  expect(view.body.applicant).toMatchObject({
    idNumber: `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`,
    phone: `${phone.slice(0, 3)}****${phone.slice(-4)}`,
  });
  // The same person typed half-width is the same person.
  const again = await stack.api(
    actors.channel(ch.id),
    'POST',
    '/v1/leads',
    aLead({ channelId: ch.id, applicant: { idNumber } }),
  );
  expect(again.body).toMatchObject({ caseId: first.body.caseId, duplicate: true });
});

test('a wrong full-width ID number is refused in Chinese, saying why; the same in English without the header', async () => {
  const ch = await aChannel(stack.db);
  const good = anIdNumber();
  const wrong = fullWidth(good.slice(0, 17) + (good[17] === '1' ? '2' : '1'));
  const lead = aLead({ channelId: ch.id, applicant: { idNumber: wrong } });

  const zh = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead, ZH);
  expect(zh.status).toBe(422);
  expect(zh.body).toMatchObject({ code: 'validation_failed', title: '无法处理的请求', detail: '请求中有字段不合规' });
  expect(zh.body.errors).toEqual([{ path: 'applicant.idNumber', message: '身份证号校验码错误（GB 11643）' }]);
  expect(JSON.stringify(zh.body)).not.toContain(wrong);

  const english = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
  expect(english.body).toMatchObject({ code: 'validation_failed', title: 'Unprocessable Content' });
  expect(english.body.errors).toEqual([
    { path: 'applicant.idNumber', message: 'ID number has a wrong check digit (GB 11643)' },
  ]);
});

test('a missing field, a domain refusal and a missing credential answer in the caller’s language', async () => {
  const ch = await aChannel(stack.db);
  const lead = aLead({ channelId: ch.id });
  const { phone: _phone, ...applicant } = lead.applicant;
  const missing = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', { ...lead, applicant }, ZH);
  expect(missing.body.errors).toEqual([{ path: 'applicant.phone', message: '必填' }]);
  const missingEn = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', { ...lead, applicant });
  expect(missingEn.body.errors).toEqual([{ path: 'applicant.phone', message: 'required' }]);

  const unknown = '00000000-0000-4000-8000-000000000000';
  const notFound = await stack.api(actors.manager(), 'GET', `/v1/leads/${unknown}`, undefined, ZH);
  expect(notFound).toMatchObject({
    status: 404,
    body: { code: 'case_not_found', title: '未找到', detail: '没有这个案件' },
  });
  const notFoundEn = await stack.api(actors.manager(), 'GET', `/v1/leads/${unknown}`);
  expect(notFoundEn.body).toMatchObject({
    code: 'case_not_found',
    title: 'Not Found',
    detail: expect.stringContaining('was not found'),
  });

  const anonymous = await stack.api(null, 'GET', '/v1/leads', undefined, { 'accept-language': 'zh' });
  expect(anonymous).toMatchObject({ status: 401, body: { code: 'unauthenticated', title: '未认证' } });
});

/** A GET from a client address of its own (127.0.0.0/8 is all loopback), so its failed sign-ins are counted apart. */
function getFrom(
  client: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: any }> {
  const url = new URL(path, stack.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, localAddress: client, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('an expired token says so, apart from a garbled one, and both count as failed authentications', async () => {
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ role: 'manager' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('m1')
    .setIssuer(stack.cfg.JWT_ISSUER)
    .setAudience(stack.cfg.JWT_AUDIENCE)
    .setIssuedAt(now - 7200)
    .setExpirationTime(now - 3600)
    .sign(new TextEncoder().encode(stack.cfg.JWT_SECRET));
  const client = '127.0.0.231';
  const answers = [];
  for (let i = 0; i < stack.cfg.AUTH_FAILURES_PER_MINUTE; i++) {
    const token = i % 2 ? expired : `not-a-token-${i}`;
    answers.push(await getFrom(client, '/v1/leads', { ...ZH, authorization: `Bearer ${token}` }));
  }
  expect(answers[0]).toMatchObject({ status: 401, body: { code: 'invalid_token', detail: '访问令牌无效' } });
  expect(answers[1]).toMatchObject({
    status: 401,
    body: { code: 'token_expired', detail: '访问令牌已过期，请重新获取' },
  });
  expect(answers.every((a) => a.status === 401)).toBe(true);
  const next = await getFrom(client, '/v1/leads', { authorization: `Bearer ${expired}` });
  expect(next).toMatchObject({
    status: 429,
    body: { code: 'too_many_failed_authentications', title: 'Too Many Requests' },
  });
});
