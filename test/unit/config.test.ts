import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, ENV_NAMES, loadConfig, SECRET_NAMES } from '../../src/platform/config';
import { defaultPolicy } from '../../src/platform/config/policy';

const file = (content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'policy.json');
  writeFileSync(path, content);
  return path;
};
/** A developer's environment: the local default secrets apply. */
const dev = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ NODE_ENV: 'test', ...env });
const messageOf = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('configuration', () => {
  test('the defaults are the policy values of shared/domain.md', () => {
    const p = loadConfig(dev()).policy;
    expect(p.consent.waitHours).toBe(72);
    expect(p.followUp.firstContactMinutes).toEqual({ A: 30, B: 240 });
    expect([p.followUp.reminderAt, p.followUp.escalateAt, p.followUp.reassignAt]).toEqual([0.5, 1, 2]);
    expect(p.review.manualReviewHours).toBe(24);
    expect(p.contact).toMatchObject({ maxAttemptsPerDay: 3, quietHoursStart: '21:00', quietHoursEnd: '08:00' });
    expect(p.complaints.firstResponseHours).toEqual({ high: 2, normal: 24, low: 72 });
    expect(p.complaints.resolutionDays).toBe(15);
    expect(p.pricing.allInCapSchedule).toEqual([
      { from: '2025-10-01', caps: { bank: 24, consumer_finance: 24, microlender: 24, trust: 24, other: 24 } },
    ]);
    expect(p.age).toEqual({ minimum: 18, studentVulnerableUnder: 22, elderlyFrom: 60 });
    expect(p.dti).toMatchObject({ incomeShockPct: 20, rateShockPp: 3, tierAMaxPct: 40, tierBMaxPct: 55 });
    expect(p.retention).toEqual({ unconvertedDays: 90, convertedYears: 5 });
    expect(p.channelGrades).toEqual({
      premiumMinApprovalPct: 60,
      premiumMaxNplPct: 2,
      riskMinNplPct: 5,
      riskMinFraudPct: 3,
      suspendMinNplPct: 10,
      suspendMinFraudPct: 10,
      minLeadsToGrade: 20,
      reviewWindowDays: 90,
    });
    expect(p.maxAmountByGrade).toEqual({ premium: 300_000, general: 200_000, risk: 50_000 });
    expect(p.postLoan).toEqual({ checkInDays: [7, 30], maxAttempts: 3, planWithinDays: 14 });
  });

  test('a malformed value stops start-up with a message naming the variable, not echoing the value', () => {
    const message = messageOf(dev({ DATABASE_URL: 'mysql://secret-host/db', API_PORT: 'eighty' }));
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('API_PORT');
    expect(message).not.toContain('secret-host');
  });

  const randomKey = () => randomBytes(32).toString('base64');
  const strongSecrets = () => ({
    JWT_SECRET: randomBytes(48).toString('base64'),
    MASTER_KEY: randomKey(),
    BLIND_INDEX_KEY: randomKey(),
    CODEC_KEY: randomKey(),
    AUDIT_KEY: randomKey(),
  });

  test('without NODE_ENV=development or test a missing secret stops start-up, naming each one', () => {
    for (const env of [{}, { NODE_ENV: 'production' }]) {
      const message = messageOf(env);
      for (const name of SECRET_NAMES) expect(message).toContain(`${name}: is required`);
    }
    expect(() => loadConfig({ NODE_ENV: 'production', ...strongSecrets() })).not.toThrow();
    expect(() => loadConfig(strongSecrets())).not.toThrow();
  });

  test('the published development secrets are refused outside development and test', () => {
    const local = loadConfig(dev());
    const published = {
      JWT_SECRET: local.JWT_SECRET,
      MASTER_KEY: local.MASTER_KEY,
      BLIND_INDEX_KEY: local.BLIND_INDEX_KEY,
      CODEC_KEY: local.CODEC_KEY,
      AUDIT_KEY: local.AUDIT_KEY,
    };
    const message = messageOf({ NODE_ENV: 'production', ...published });
    for (const name of SECRET_NAMES) expect(message).toContain(`${name}: is the published development default`);
  });

  test('one key reused for two purposes, a repeated-letter JWT secret and a key of repeated bytes are refused', () => {
    const secrets = strongSecrets();
    const reused = messageOf({
      NODE_ENV: 'production',
      ...secrets,
      BLIND_INDEX_KEY: secrets.MASTER_KEY,
      CODEC_KEY: secrets.MASTER_KEY,
    });
    expect(reused).toContain('BLIND_INDEX_KEY: is the same secret as MASTER_KEY');
    expect(reused).toContain('CODEC_KEY: is the same secret as MASTER_KEY');
    expect(reused).not.toContain(secrets.MASTER_KEY);
    expect(messageOf({ NODE_ENV: 'production', ...secrets, JWT_SECRET: 'x'.repeat(40) })).toContain(
      'JWT_SECRET: is too weak',
    );
    expect(messageOf({ NODE_ENV: 'production', ...secrets, JWT_SECRET: 'ab'.repeat(30) })).toContain(
      'JWT_SECRET: is too weak',
    );
    expect(
      messageOf({ NODE_ENV: 'production', ...secrets, CODEC_KEY: Buffer.alloc(32, 7).toString('base64') }),
    ).toContain('CODEC_KEY: is too weak');
  });

  test('the API listens on loopback in development and test unless API_HOST says otherwise, and on every interface in production', () => {
    expect(loadConfig(dev()).API_HOST).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'development' }).API_HOST).toBe('127.0.0.1');
    expect(loadConfig(dev({ API_HOST: '0.0.0.0' })).API_HOST).toBe('0.0.0.0');
    expect(loadConfig({ NODE_ENV: 'production', ...strongSecrets() }).API_HOST).toBe('0.0.0.0');
  });

  test('TRUST_PROXY reads as Express takes it: false, true, a hop count, or addresses', () => {
    expect(loadConfig(dev()).TRUST_PROXY).toBe(false);
    expect(loadConfig(dev({ TRUST_PROXY: 'true' })).TRUST_PROXY).toBe(true);
    expect(loadConfig(dev({ TRUST_PROXY: '2' })).TRUST_PROXY).toBe(2);
    expect(loadConfig(dev({ TRUST_PROXY: '10.0.0.0/8, loopback' })).TRUST_PROXY).toBe('10.0.0.0/8, loopback');
  });

  test('a key that is not 32 bytes of base64 is refused', () => {
    expect(messageOf(dev({ MASTER_KEY: Buffer.alloc(16).toString('base64') }))).toContain(
      'MASTER_KEY: must be 32 bytes',
    );
  });

  test('a retired master or codec key listed under the current ID, or an ID given twice, is refused: it would shadow the other key', () => {
    const k = (fill: number) => Buffer.alloc(32, fill).toString('base64');
    expect(messageOf(dev({ MASTER_KEY_ID: 'prod', MASTER_KEY: k(1), MASTER_OLD_KEYS: `prod:${k(2)}` }))).toContain(
      'MASTER_OLD_KEYS: key ID prod is used twice',
    );
    expect(messageOf(dev({ MASTER_OLD_KEYS: `old-1:${k(2)},old-1:${k(3)}` }))).toContain(
      'MASTER_OLD_KEYS: key ID old-1 is used twice',
    );
    expect(messageOf(dev({ CODEC_KEY_ID: 'codec-2', CODEC_OLD_KEYS: `codec-1:${k(2)},codec-2:${k(3)}` }))).toContain(
      'CODEC_OLD_KEYS: key ID codec-2 is used twice',
    );
    // The same message names IDs, never a key.
    expect(messageOf(dev({ MASTER_KEY_ID: 'prod', MASTER_OLD_KEYS: `prod:${k(2)}` }))).not.toContain(k(2));
    expect(() =>
      loadConfig(
        dev({
          MASTER_KEY_ID: 'prod-2',
          MASTER_OLD_KEYS: `prod-1:${k(2)}`,
          CODEC_KEY_ID: 'c-2',
          CODEC_OLD_KEYS: `c-1:${k(3)}`,
        }),
      ),
    ).not.toThrow();
  });

  const lowerMicrolenderCap = {
    from: '2027-01-01',
    caps: { bank: 24, consumer_finance: 24, microlender: 20, trust: 24, other: 24 },
  };

  test('POLICY_FILE overrides part of the policy and keeps the rest', () => {
    const cfg = loadConfig(
      dev({
        POLICY_FILE: file(
          JSON.stringify({ pricing: { allInCapSchedule: [lowerMicrolenderCap] }, consent: { waitHours: 24 } }),
        ),
      }),
    );
    expect(cfg.policy.pricing.allInCapSchedule).toEqual([lowerMicrolenderCap]);
    expect(cfg.policy.consent.waitHours).toBe(24);
    expect(cfg.policy.retention).toEqual(defaultPolicy().retention);
  });

  test('a misspelt or inconsistent policy override is an error that names the field', () => {
    expect(messageOf(dev({ POLICY_FILE: file(JSON.stringify({ pricing: { aprCapPercent: 18 } })) }))).toContain(
      'policy.pricing',
    );
    const caps = lowerMicrolenderCap.caps;
    const unordered = [
      { from: '2027-01-01', caps },
      { from: '2026-01-01', caps },
    ];
    expect(
      messageOf(dev({ POLICY_FILE: file(JSON.stringify({ pricing: { allInCapSchedule: unordered } })) })),
    ).toContain('policy.pricing.allInCapSchedule');
    expect(
      messageOf(
        dev({
          POLICY_FILE: file(
            JSON.stringify({ pricing: { allInCapSchedule: [{ from: '2027-01-01', caps: { bank: 24 } }] } }),
          ),
        }),
      ),
    ).toContain('policy.pricing.allInCapSchedule');
    expect(messageOf(dev({ POLICY_FILE: file(JSON.stringify({ dti: { tierAMaxPct: 60 } })) }))).toContain(
      'policy.dti.tierAMaxPct',
    );
    expect(messageOf(dev({ POLICY_FILE: file(JSON.stringify({ postLoan: { checkInDays: [30, 7] } })) }))).toContain(
      'policy.postLoan.checkInDays',
    );
    expect(messageOf(dev({ POLICY_FILE: file(JSON.stringify({ postLoan: { checkInDays: [7, 7] } })) }))).toContain(
      'policy.postLoan.checkInDays',
    );
    expect(messageOf(dev({ POLICY_FILE: file('{not json') }))).toContain('POLICY_FILE');
    const unreadable = file('{}');
    chmodSync(unreadable, 0o000);
    if (process.getuid?.() !== 0) expect(messageOf(dev({ POLICY_FILE: unreadable }))).toContain('POLICY_FILE');
  });

  test('reads a secret from the file named by X_FILE, as compose and Kubernetes mount them', () => {
    const key = randomBytes(32).toString('base64');
    const url = 'postgres://lead_api:s3cret@db:5432/leads';
    const c = loadConfig(dev({ MASTER_KEY_FILE: file(`${key}\n`), DATABASE_URL_FILE: file(url) }));
    expect(c.MASTER_KEY).toBe(key);
    expect(c.DATABASE_URL).toBe(url);
    expect(messageOf(dev({ MASTER_KEY: key, MASTER_KEY_FILE: file(key) }))).toContain('not both');
    expect(messageOf(dev({ AUDIT_KEY_FILE: '/nonexistent/audit_key' }))).toContain('AUDIT_KEY_FILE');
    for (const name of SECRET_NAMES) expect(ENV_NAMES).toContain(`${name}_FILE`);
  });

  test('every variable read is listed for deployment checks', () => {
    expect(ENV_NAMES).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'TEMPORAL_TASK_QUEUE',
        'JWT_SECRET',
        'MASTER_KEY',
        'BLIND_INDEX_KEY',
        'POLICY_FILE',
      ]),
    );
  });
});
