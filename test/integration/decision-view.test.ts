import { randomUUID } from 'node:crypto';
import { aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

const risk = actors.risk();
const compliance = actors.compliance();
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
const stageOf = async (caseId: string) =>
  (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [caseId]))[0]?.stage;
const decisionReads = (caseId: string) =>
  stack.db.query(
    `SELECT actor_sub, actor_role, details FROM audit_events WHERE action = 'decision.read' AND target_type = 'lead_case' AND target_id = $1 ORDER BY id`,
    [caseId],
  );

// Fraud and credit inputs, and the words that would name them: none may reach a channel.
const PRIVATE = [
  'inputs',
  'blacklist',
  'lenderApplications',
  'multi_lender',
  'dtiPct',
  'stressedDtiPct',
  'deviceLeads24h',
  'device_reused',
  'monthlyIncome',
  'monthlyDebt',
  'detail',
  'effect',
  'fraud_flag',
  'channelGrade',
  'matches',
  'excludedProducts',
];

/** A declined lead of someone on the blacklist, with applications at four lenders and debts too high for their income. */
async function aDeclinedRiskyLead() {
  const ch = await aChannel(stack.db);
  const lead = aLead({ channelId: ch.id, applicant: { monthlyIncome: 6_000, monthlyDebt: 2_500 } });
  const idNumber = lead.applicant.idNumber;
  const applications = ['lender-v1', 'lender-v2', 'lender-v3', 'lender-v4'].map((lenderId, i) => ({
    idNumber,
    lenderId,
    appliedAt: daysAgo(5 + i),
  }));
  expect((await stack.api(risk, 'POST', '/v1/lender-applications', { applications })).status).toBe(200);
  expect(
    (await stack.api(risk, 'POST', '/v1/blacklist', { person: { idNumber }, reason: 'fraud_confirmed' })).status,
  ).toBe(200);
  const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
  await eventually(async () => (await stageOf(body.caseId)) === 'declined', 'the lead declined');
  return { channel: actors.channel(ch.id), caseId: body.caseId as string };
}

describe('what a channel learns from a decision', () => {
  test('the channel sees the outcome, rule codes and explanations, never a fraud or credit input; risk and compliance still see the inputs', async () => {
    const { channel, caseId } = await aDeclinedRiskyLead();

    const full = await stack.api(compliance, 'GET', `/v1/leads/${caseId}/decision`);
    expect(full.status).toBe(200);
    expect(full.body.decisions[0]).toMatchObject({
      kind: 'prescreen',
      tier: 'C',
      outcome: 'declined',
      inputs: { blacklisted: true, lenderApplications: 4 },
    });
    expect(full.body.decisions[0].inputs.stressedDtiPct).toEqual(expect.any(Number));
    expect(full.body.decisions[0].rulesFired.map((r: { code: string }) => r.code)).toEqual(
      expect.arrayContaining(['blacklisted', 'stressed_dti_above_tier_b_max', 'multi_lender_applications']),
    );

    const seen = await stack.api(channel, 'GET', `/v1/leads/${caseId}/decision`);
    expect(seen.status).toBe(200);
    const text = JSON.stringify(seen.body);
    for (const word of PRIVATE) expect([word, text.includes(word)]).toEqual([word, false]);
    expect(text).not.toContain(String(full.body.decisions[0].inputs.stressedDtiPct));
    const [prescreen] = seen.body.decisions;
    expect(prescreen).toEqual({
      kind: 'prescreen',
      automated: true,
      outcome: 'declined',
      explanation: expect.stringContaining('初审'),
      // The fraud rules are one code, so the answer does not say which (a blacklist hit, many lenders).
      rulesFired: [
        { code: 'fraud_prevention_check', explanation: expect.stringMatching(/反欺诈/) },
        { code: 'stressed_dti_above_tier_b_max', explanation: expect.stringMatching(/收入/) },
      ],
      requiredDocuments: [],
      decidedAt: expect.any(String),
    });
    expect(seen.body.humanReview).toEqual({ available: true, how: expect.stringContaining('/human-review') });

    const english = await stack.api(channel, 'GET', `/v1/leads/${caseId}/decision`, undefined, {
      'accept-language': 'en-GB,en;q=0.9',
    });
    expect(english.body.decisions[0].explanation).toBe('The application did not pass the first check.');
    expect(english.body.decisions[0].rulesFired[0].explanation).toMatch(/fraud-prevention checks/);
  });

  test('a rule or an input the channel view does not know is not shown: an unknown rule is "other_check", with no detail', async () => {
    const { channel, caseId } = await aDeclinedRiskyLead();
    await stack.db.query(
      `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, rules_fired, inputs, result, decided_by, decided_at)
       VALUES ($1, $2, 'prescreen', 'B', 'manual_review', $3, $4, '{}', 'automated_prescreen', now() + interval '1 second')`,
      [
        `test-${randomUUID()}`,
        caseId,
        JSON.stringify([{ code: 'bureau_score_low', effect: 'review', detail: 'bureauScore=512' }]),
        JSON.stringify({ bureauScore: 512 }),
      ],
    );
    const seen = await stack.api(channel, 'GET', `/v1/leads/${caseId}/decision`);
    const latest = seen.body.decisions[seen.body.decisions.length - 1];
    expect(latest.rulesFired).toEqual([{ code: 'other_check', explanation: expect.any(String) }]);
    expect(JSON.stringify(seen.body)).not.toMatch(/bureau|512/);
    // Compliance sees the rule as it was recorded.
    const full = await stack.api(compliance, 'GET', `/v1/leads/${caseId}/decision`);
    expect(JSON.stringify(full.body)).toContain('bureauScore=512');
  });
});

describe('every decision read is audited', () => {
  test('each read, by any role, appends a read of the case with the view it got; a refused read is not a read', async () => {
    const { channel, caseId } = await aDeclinedRiskyLead();
    expect(await decisionReads(caseId)).toEqual([]);

    await stack.api(compliance, 'GET', `/v1/leads/${caseId}/decision`);
    await stack.api(actors.manager(), 'GET', `/v1/leads/${caseId}/decision`);
    await stack.api(channel, 'GET', `/v1/leads/${caseId}/decision`);
    await stack.api(compliance, 'GET', `/v1/leads/${caseId}/decision`);
    const other = await stack.api(actors.channel((await aChannel(stack.db)).id), 'GET', `/v1/leads/${caseId}/decision`);
    expect(other.status).toBe(403);

    expect(await decisionReads(caseId)).toEqual([
      { actor_sub: compliance.sub, actor_role: 'compliance', details: { view: 'full' } },
      { actor_sub: 'm1', actor_role: 'manager', details: { view: 'full' } },
      { actor_sub: channel.sub, actor_role: 'channel', details: { view: 'channel' } },
      { actor_sub: compliance.sub, actor_role: 'compliance', details: { view: 'full' } },
    ]);
  });
});
