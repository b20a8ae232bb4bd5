import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createAuthenticator } from '../../src/platform/http/auth';
import { ConfigError, loadConfig } from '../../src/platform/config';

let server: Server;
let url: string;
let privateKey: KeyLike;
let hmacKey: Uint8Array;
beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey as KeyLike;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  // A symmetric key published beside it: a token "signed" with it must still be refused (algorithm confusion).
  hmacKey = new TextEncoder().encode('a-symmetric-key-that-an-attacker-could-read-32b');
  const oct = { ...(await exportJWK(hmacKey)), kid: 'k2', alg: 'HS256', use: 'sig' };
  server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk, oct] })),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

interface Opts {
  issuer?: string;
  audience?: string | null;
  expires?: string | number;
}
const token = (key: KeyLike, claims: Record<string, unknown>, o: Opts = {}) => {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('m-sso')
    .setIssuer(o.issuer ?? 'lead-case-engine')
    .setIssuedAt()
    .setExpirationTime(o.expires ?? '5m');
  if (o.audience !== null) jwt.setAudience(o.audience ?? 'lead-case-engine-api');
  return jwt.sign(key);
};

test('with JWT_JWKS_URL set, tokens from the identity provider are verified against its published keys, issuer and audience', async () => {
  const { verify } = createAuthenticator(loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: url }));
  expect(await verify(await token(privateKey, { role: 'manager' }))).toEqual({ sub: 'm-sso', role: 'manager' });
  await expect(verify(await token(privateKey, { role: 'manager' }, { issuer: 'someone-else' }))).rejects.toMatchObject({
    code: 'invalid_token',
  });
  await expect(
    verify(await token(privateKey, { role: 'manager' }, { audience: 'another-service' })),
  ).rejects.toMatchObject({ code: 'invalid_token' });
  await expect(verify(await token(privateKey, { role: 'manager' }, { audience: null }))).rejects.toMatchObject({
    code: 'invalid_token',
  });
  const stranger = (await generateKeyPair('RS256')).privateKey as KeyLike;
  await expect(verify(await token(stranger, { role: 'manager' }))).rejects.toMatchObject({ code: 'invalid_token' });
  await expect(verify(await token(privateKey, { role: 'superuser' }))).rejects.toMatchObject({ code: 'invalid_token' });
});

test('a JWKS token that expired answers token_expired; one that lives past the maximum is refused', async () => {
  const { verify } = createAuthenticator(
    loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: url, JWT_MAX_LIFETIME_HOURS: '1' }),
  );
  await expect(
    verify(await token(privateKey, { role: 'manager' }, { expires: Math.floor(Date.now() / 1000) - 120 })),
  ).rejects.toMatchObject({ status: 401, code: 'token_expired' });
  await expect(verify(await token(privateKey, { role: 'manager' }, { expires: '2h' }))).rejects.toMatchObject({
    status: 401,
    code: 'invalid_token',
  });
});

test('only asymmetric algorithms are accepted from the JWKS, even when it publishes a symmetric key', async () => {
  const { verify } = createAuthenticator(loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: url }));
  const hs = await new SignJWT({ role: 'compliance' })
    .setProtectedHeader({ alg: 'HS256', kid: 'k2' })
    .setSubject('x')
    .setIssuer('lead-case-engine')
    .setAudience('lead-case-engine-api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(hmacKey);
  await expect(verify(hs)).rejects.toMatchObject({ code: 'invalid_token' });
});

test('a JWKS URL must be https unless its host is loopback', () => {
  expect(() => loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: 'http://idp.example.com/jwks.json' })).toThrow(ConfigError);
  expect(() => loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: 'http://idp.example.com/jwks.json' })).toThrow(
    /JWT_JWKS_URL: must be an https/,
  );
  expect(() => loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: 'ftp://127.0.0.1/jwks.json' })).toThrow(ConfigError);
  expect(() => loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: 'http://127.1.2.3.example.com/jwks.json' })).toThrow(
    ConfigError,
  );
  for (const ok of [
    'https://idp.example.com/jwks.json',
    'http://127.0.0.1:8080/jwks',
    'http://localhost/jwks',
    'http://[::1]:9/jwks',
  ]) {
    expect(loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: ok }).JWT_JWKS_URL).toBe(ok);
  }
});
