import { spawnSync } from 'node:child_process';
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { createAuthenticator, lifetimeSeconds, signToken, TokenLifetimeError } from '../../src/platform/http/auth';
import { loadConfig } from '../../src/platform/config';

const cfg = loadConfig({ NODE_ENV: 'test' });
const { verify } = createAuthenticator(cfg);
const secret = new TextEncoder().encode(cfg.JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);

interface Claims {
  sub?: string | null;
  iat?: number | null;
  exp?: number | null;
  aud?: string | null;
  iss?: string;
  alg?: string;
}
/** A local token built claim by claim, so that each required one can be left out. */
function local(c: Claims = {}) {
  const jwt = new SignJWT({ role: 'compliance' })
    .setProtectedHeader({ alg: c.alg ?? 'HS256' })
    .setIssuer(c.iss ?? cfg.JWT_ISSUER);
  if (c.sub !== null) jwt.setSubject(c.sub ?? 'c1');
  if (c.iat !== null) jwt.setIssuedAt(c.iat ?? now());
  if (c.exp !== null) jwt.setExpirationTime(c.exp ?? now() + 600);
  if (c.aud !== null) jwt.setAudience(c.aud ?? cfg.JWT_AUDIENCE);
  return jwt.sign(secret);
}

test('a well-formed local token is accepted', async () => {
  expect(await verify(await local())).toEqual({ sub: 'c1', role: 'compliance' });
});

test.each([
  ['without exp (it would be accepted for ever)', { exp: null }],
  ['without iat', { iat: null }],
  ['without sub', { sub: null }],
  ['without an audience', { aud: null }],
  ['for another audience', { aud: 'some-other-service' }],
  ['from another issuer', { iss: 'someone-else' }],
  ['with a lifetime over the maximum', { iat: now() - 60, exp: now() - 60 + 13 * 3600 }],
  ['dated ahead so as to live longer', { iat: now() + 400 * 86_400, exp: now() + 400 * 86_400 + 3600 }],
  ['signed with another HMAC algorithm', { alg: 'HS512' }],
])('a token %s is refused as invalid_token', async (_what, claims) => {
  await expect(verify(await local(claims as Claims))).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
});

test('an unsigned token (alg none) is refused', async () => {
  const unsigned = new UnsecuredJWT({ role: 'admin' })
    .setSubject('a1')
    .setIssuer(cfg.JWT_ISSUER)
    .setAudience(cfg.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .encode();
  await expect(verify(unsigned)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
});

test('an expired token answers token_expired, distinct from invalid_token', async () => {
  await expect(verify(await local({ iat: now() - 3600, exp: now() - 120 }))).rejects.toMatchObject({
    status: 401,
    code: 'token_expired',
  });
});

test('signToken names the audience and bounds the lifetime; it refuses to mint one longer than the maximum', async () => {
  const claims = decodeJwt(await signToken(cfg, { sub: 'm1', role: 'manager' }));
  expect(claims).toMatchObject({ sub: 'm1', aud: cfg.JWT_AUDIENCE, iss: cfg.JWT_ISSUER });
  expect(claims.exp! - claims.iat!).toBe(8 * 3600);
  expect(decodeJwt(await signToken(cfg, { sub: 'm1', role: 'manager' }, '12h')).exp! - now()).toBeGreaterThan(
    11 * 3600,
  );
  await expect(signToken(cfg, { sub: 'm1', role: 'manager' }, '100y')).rejects.toThrow(TokenLifetimeError);
  await expect(signToken(cfg, { sub: 'm1', role: 'manager' }, '13h')).rejects.toThrow(/JWT_MAX_LIFETIME_HOURS/);
  await expect(signToken(cfg, { sub: 'm1', role: 'manager' }, 'forever')).rejects.toThrow(TokenLifetimeError);
  // With a maximum shorter than the default 8 hours, the default shrinks to it.
  const short = loadConfig({ NODE_ENV: 'test', JWT_MAX_LIFETIME_HOURS: '1' });
  const c = decodeJwt(await signToken(short, { sub: 'm1', role: 'manager' }));
  expect(c.exp! - c.iat!).toBe(3600);
  await expect(
    createAuthenticator(short).verify(await signToken(cfg, { sub: 'm1', role: 'manager' })),
  ).rejects.toMatchObject({ code: 'invalid_token' });
});

test('lifetimes are read in seconds, minutes, hours, days and years', () => {
  expect([
    lifetimeSeconds('90s'),
    lifetimeSeconds('30m'),
    lifetimeSeconds('8h'),
    lifetimeSeconds('2 days'),
    lifetimeSeconds('100y'),
  ]).toEqual([90, 1800, 28_800, 172_800, 3_155_760_000]);
  expect(lifetimeSeconds('8x')).toBeUndefined();
});

describe('npm run token', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/cli/token.ts', ...args], {
      env: { ...process.env, NODE_ENV: 'test' },
      encoding: 'utf8',
      timeout: 60_000,
    });

  test('refuses a lifetime over the maximum with a message, and no token', () => {
    const res = run('--role', 'manager', '--sub', 'm1', '--expires', '100y');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/refused: .*longer than the maximum of 12 hours/);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(res.stdout).toBe('');
  });

  test('--help prints the usage and exits 0', () => {
    const res = run('--help');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^usage: npm run token -- --role/);
    expect(res.stdout).toContain('--expires');
  });

  test('an unknown option prints the usage, without a stack trace', () => {
    const res = run('--role', 'manager', '--sub', 'm1', '--forever');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('usage: npm run token');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  test('prints a token the API accepts', async () => {
    const res = run('--role', 'manager', '--sub', 'm1', '--expires', '30m');
    expect(res.status).toBe(0);
    expect(await verify(res.stdout.trim())).toEqual({ sub: 'm1', role: 'manager' });
  }, 60_000);
});
