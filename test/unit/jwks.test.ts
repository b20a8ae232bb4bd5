import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createAuthenticator } from '../../src/api/auth';
import { loadConfig } from '../../src/config';

let server: Server;
let url: string;
let privateKey: KeyLike;
beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey as KeyLike;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const token = (key: KeyLike, claims: Record<string, unknown>, issuer = 'lead-case-engine') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('m-sso').setIssuer(issuer).setExpirationTime('5m').sign(key);

test('with JWT_JWKS_URL set, tokens from the identity provider are verified against its published keys', async () => {
  const { verify } = createAuthenticator(loadConfig({ NODE_ENV: 'test', JWT_JWKS_URL: url }));
  expect(await verify(await token(privateKey, { role: 'manager' }))).toEqual({ sub: 'm-sso', role: 'manager' });
  await expect(verify(await token(privateKey, { role: 'manager' }, 'someone-else'))).rejects.toMatchObject({ code: 'invalid_token' });
  const stranger = (await generateKeyPair('RS256')).privateKey as KeyLike;
  await expect(verify(await token(stranger, { role: 'manager' }))).rejects.toMatchObject({ code: 'invalid_token' });
  await expect(verify(await token(privateKey, { role: 'superuser' }))).rejects.toMatchObject({ code: 'invalid_token' });
});
