import { randomInt } from 'node:crypto';
import { phoneRegion } from '../../src/platform/geo';
import { aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

// 属地经营 from the data itself: the phone's region from its segment, the IP's from ip2region.
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

/** A random mainland mobile number whose segment lookup satisfies `wanted`. */
function aPhoneWhere(prefix: string, wanted: (lookup: ReturnType<typeof phoneRegion>) => boolean): string {
  for (;;) {
    const phone = `${prefix}${String(randomInt(0, 10 ** (11 - prefix.length))).padStart(11 - prefix.length, '0')}`;
    if (wanted(phoneRegion(phone))) return phone;
  }
}
const outsideBeijing = (l: ReturnType<typeof phoneRegion>) => l.status === 'found' && !l.regionCode.startsWith('11');

async function intake(lead: ReturnType<typeof aLead>) {
  const res = await stack.api(actors.channel(lead.channelId), 'POST', '/v1/leads', lead);
  expect(res.status).toBe(201);
  const caseId = res.body.caseId as string;
  const decision = await eventually(async () => {
    const got = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/decision`);
    return got.body.decisions?.find((d: { kind: string }) => d.kind === 'prescreen');
  }, 'the pre-screen decision');
  const [row] = await stack.db.query('SELECT is_local AS local, region_mismatches FROM lead_cases WHERE id = $1', [
    caseId,
  ]);
  return { caseId, decision, row };
}

const rules = (decision: { rulesFired: { code: string; effect: string }[] }) =>
  decision.rulesFired.map((r) => [r.code, r.effect]);

describe('local operation from the phone segment and the IP database', () => {
  test('a Beijing resident whose phone segment is in another province, and whose channel sent no region, is reviewed as non-local', async () => {
    const ch = await aChannel(stack.db);
    const phone = aPhoneWhere('138', outsideBeijing);
    const { decision, row } = await intake(aLead({ channelId: ch.id, applicant: { phone } }));

    expect(row).toEqual({ local: false, region_mismatches: ['phone_vs_residence'] });
    expect(decision.tier).toBe('B');
    expect(decision.rulesFired).toContainEqual(
      expect.objectContaining({ code: 'region_mismatch', effect: 'review', detail: 'mismatches=phone_vs_residence' }),
    );
    expect(decision.requiredDocuments).toContain('residence_proof');
    // Only codes are kept: neither the phone nor the IP is in the decision or the case row.
    const stored = JSON.stringify([decision, row]);
    expect(stored).not.toContain(phone);
    expect(stored).not.toContain('202.106.0.20');
  });

  test("a channel's phone region that disagrees with the number segment is a mismatch rule of its own", async () => {
    const ch = await aChannel(stack.db);
    const phone = aPhoneWhere('139', outsideBeijing);
    const lead = aLead({ channelId: ch.id, applicant: { phone } });
    lead.context = { ...lead.context, phoneRegion: '110000', ipRegion: '110000' };
    const { decision, row } = await intake(lead);

    expect(row).toEqual({ local: false, region_mismatches: ['phone_channel_vs_lookup'] });
    expect(decision.tier).toBe('B');
    expect(rules(decision)).toContainEqual(['phone_region_channel_mismatch', 'review']);
    expect(rules(decision)).not.toContainEqual(['region_mismatch', 'review']);
  });

  test('a local phone and IP found in the data leave a clean case at tier A with no region rule', async () => {
    const ch = await aChannel(stack.db);
    const { decision, row } = await intake(aLead({ channelId: ch.id }));

    expect(row).toEqual({ local: true, region_mismatches: [] });
    expect(decision.tier).toBe('A');
    expect(decision.rulesFired).toEqual([]);
  });

  test('an unknown segment and a foreign IP are stated in the decision as information, not guessed', async () => {
    const ch = await aChannel(stack.db);
    const phone = aPhoneWhere('199', (l) => l.status === 'unknown');
    const { decision, row } = await intake(
      aLead({
        channelId: ch.id,
        applicant: { phone },
        context: { deviceId: `dev-${randomInt(0, 1e9)}`, ip: '8.8.8.8' },
      }),
    );

    expect(row).toEqual({ local: true, region_mismatches: ['phone_region_unknown', 'ip_outside_mainland'] });
    expect(decision.tier).toBe('A');
    expect(rules(decision)).toEqual([
      ['phone_region_unknown', 'info'],
      ['ip_outside_mainland', 'info'],
    ]);
  });

  test('a private IP is stated as telling no region', async () => {
    const ch = await aChannel(stack.db);
    const { decision } = await intake(
      aLead({ channelId: ch.id, context: { deviceId: `dev-${randomInt(0, 1e9)}`, ip: '192.168.3.4' } }),
    );
    expect(rules(decision)).toEqual([['ip_not_public', 'info']]);
  });

  test('a malformed IP is refused with 422 and stores nothing', async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id, context: { ip: '300.1.2.3' } });
    const res = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);

    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_failed');
    expect(JSON.stringify(res.body)).not.toContain('300.1.2.3');
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM lead_cases WHERE channel_id = $1', [ch.id]);
    expect(n).toBe(0);
  });
});
