import { randomInt } from 'node:crypto';
import type { IntakeRequest } from '../src/modules/lead/schemas/leads';
import { checkDigitFor } from '../src/modules/lead/rules/id-number';
import { BEIJING_DISTRICTS, BEIJING_PHONE_BLOCKS } from '../test/support/beijing';

// Every generated person lives where their ID number was issued, with a Beijing phone (a local lead).
const DISTRICTS = BEIJING_DISTRICTS;
const BIRTH_DAYS = 2_900; // about eight years of birthdays: everyone is 31 to 39, never a vulnerable age
const SEQUENCES = 1_000;
const PEOPLE = DISTRICTS.length * BIRTH_DAYS * SEQUENCES;
const DAY = 86_400_000;

/**
 * Made-up applicants for the bench, each a different person (ID number, phone and device), so no
 * intake joins another as a duplicate. A random start makes two runs against one database unlikely
 * to meet. Every lead is tier A: a salaried local customer with a comfortable income.
 */
export function leadGenerator(now = new Date()) {
  let next = randomInt(0, PEOPLE);
  const youngestBirth = Date.UTC(now.getUTCFullYear() - 31, now.getUTCMonth(), now.getUTCDate()) - 7 * DAY;
  const phoneBase = randomInt(0, BEIJING_PHONE_BLOCKS.length * 1_000_000);

  return (channelId: string, withConsent: boolean): IntakeRequest => {
    const n = next++ % PEOPLE;
    const district = DISTRICTS[n % DISTRICTS.length];
    const day = Math.floor(n / DISTRICTS.length) % BIRTH_DAYS;
    const sequence = Math.floor(n / (DISTRICTS.length * BIRTH_DAYS));
    const birth = new Date(youngestBirth - day * DAY).toISOString().slice(0, 10).replaceAll('-', '');
    const first17 = `${district}${birth}${String(sequence).padStart(3, '0')}`;
    const k = (phoneBase + n) % (BEIJING_PHONE_BLOCKS.length * 1_000_000);
    const phone = `${BEIJING_PHONE_BLOCKS[Math.floor(k / 1_000_000)]}${String(k % 1_000_000).padStart(6, '0')}`;
    const lead: IntakeRequest = {
      channelId,
      applicant: {
        name: '压测客户',
        idNumber: first17 + checkDigitFor(first17),
        phone,
        residenceRegion: district,
        occupation: 'salaried',
        monthlyIncome: 40_000,
        monthlyDebt: 1_000,
      },
      request: { amount: 100_000, termMonths: 24, purpose: 'consumption' },
      context: { deviceId: `bench-device-${phoneBase}-${n}`, ip: '202.106.0.20' },
    };
    if (withConsent) lead.consent = { noticeVersion: '2026-01', purposes: ['credit_assessment', 'lender_sharing'] };
    return lead;
  };
}
