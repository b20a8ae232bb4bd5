import { randomInt } from 'node:crypto';
import { checkDigitFor } from '../../src/modules/lead/rules/id-number';
import type { IntakeRequest } from '../../src/modules/lead/schemas/leads';
import { BEIJING_DISTRICTS, BEIJING_PHONE_BLOCKS } from './beijing';
import type { Actor } from '../../src/platform/http/auth';

const issued = new Set<string>();

/**
 * A valid mainland ID number for someone `age` years old today (Asia/Shanghai; by default a random
 * age in 30-39), registered in `region` (by default a random Beijing district). Random birth day,
 * district and sequence keep test files (each with its own module registry) from colliding.
 */
export function anIdNumber(
  age = 30 + randomInt(0, 10),
  region = BEIJING_DISTRICTS[randomInt(0, BEIJING_DISTRICTS.length)],
): string {
  for (;;) {
    const birth = birthForAge(age, new Date(), randomInt(0, 300));
    const first17 = `${region}${birth}${String(randomInt(0, 1000)).padStart(3, '0')}`;
    if (issued.has(first17)) continue;
    issued.add(first17);
    return first17 + checkDigitFor(first17);
  }
}

export { BEIJING_PHONE_BLOCKS };

/** A unique mainland mobile number whose segment is registered in Beijing. */
export const aPhone = (): string =>
  `${BEIJING_PHONE_BLOCKS[randomInt(0, BEIJING_PHONE_BLOCKS.length)]}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;

/** Birth date (YYYYMMDD) of someone who is `age` today in Shanghai: their birthday was 2 + `daysEarlier` days ago. */
export function birthForAge(age: number, now = new Date(), daysEarlier = 0): string {
  const d = new Date(now.getTime() + 8 * 3_600_000);
  const md = new Date(Date.UTC(d.getUTCFullYear() - age, d.getUTCMonth(), d.getUTCDate() - 2 - (daysEarlier % 360)));
  return `${md.getUTCFullYear()}${String(md.getUTCMonth() + 1).padStart(2, '0')}${String(md.getUTCDate()).padStart(2, '0')}`;
}

export type LeadOverrides = {
  channelId?: string;
  applicant?: Partial<IntakeRequest['applicant']>;
  request?: Partial<IntakeRequest['request']>;
  context?: IntakeRequest['context'];
  consent?: IntakeRequest['consent'] | null;
};

/** An intake body for a 35-year-old salaried local customer with a comfortable income: a tier-A case. */
export function aLead(o: LeadOverrides = {}): IntakeRequest {
  const idNumber = o.applicant?.idNumber ?? anIdNumber();
  const lead: IntakeRequest = {
    channelId: o.channelId ?? 'ch-partner-ref',
    applicant: {
      name: '测试客户',
      idNumber,
      phone: aPhone(),
      residenceRegion: idNumber.slice(0, 6), // local: lives where the ID was issued
      occupation: 'salaried',
      monthlyIncome: 40_000,
      monthlyDebt: 1_000,
      ...o.applicant,
    },
    request: { amount: 100_000, termMonths: 24, purpose: 'consumption', ...o.request },
    context: o.context ?? { deviceId: `dev-${randomInt(0, 1e9)}`, ip: '202.106.0.20' /* Beijing in ip2region */ },
  };
  if (o.consent !== null)
    lead.consent = o.consent ?? { noticeVersion: '2026-01', purposes: ['credit_assessment', 'lender_sharing'] };
  return lead;
}

export const actors = {
  channel: (channelId = 'ch-partner-ref'): Actor => ({ sub: `partner-${channelId}`, role: 'channel', channelId }),
  broker: (sub = 'b-east-1'): Actor => ({ sub, role: 'broker', team: 'east' }),
  manager: (): Actor => ({ sub: 'm1', role: 'manager' }),
  risk: (): Actor => ({ sub: 'r1', role: 'risk_officer' }),
  compliance: (): Actor => ({ sub: 'c1', role: 'compliance' }),
  admin: (sub = 'a1'): Actor => ({ sub, role: 'admin' }),
};

import type { DataSource } from 'typeorm';

let seq = 0;
const uniq = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

/** A channel of its own for one test, with its own broker team, so no test shares another's data. */
export async function aChannel(
  db: DataSource,
  o: { grade?: 'premium' | 'general' | 'risk'; suspended?: boolean; team?: string } = {},
) {
  const id = uniq('ch-test');
  const team = o.team ?? uniq('team');
  await db.query(
    `INSERT INTO channels (id, name, type, partner, grade, suspended, team) VALUES ($1, $2, 'online', 'test partner', $3, $4, $5)`,
    [id, `test channel ${id}`, o.grade ?? 'general', o.suspended ?? false, team],
  );
  return { id, team };
}

export async function aBroker(db: DataSource, team: string, o: { active?: boolean } = {}) {
  const id = uniq('b-test');
  await db.query(`INSERT INTO brokers (id, display_name, team, active) VALUES ($1, $2, $3, $4)`, [
    id,
    `test broker ${id}`,
    team,
    o.active ?? true,
  ]);
  return id;
}
