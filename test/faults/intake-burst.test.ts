import { randomInt } from 'node:crypto';
import type { IntakeRequest } from '../../src/modules/lead/schemas/leads';
import { aBroker, aChannel, aLead, actors, anIdNumber, aPhone } from '../support/factories';
import { casesWithRowsNotWrittenOnce, halfMadeCases, waitUntilHandedOver } from '../support/fault-checks';
import { mapLimit, startFaultStack, type FaultStack } from '../support/fault-stack';
import { noQuietHours } from '../support/policy';
import { eventually, type ApiResponse } from '../support/stack';

const PEOPLE = 100;

let faults: FaultStack;
beforeAll(async () => {
  faults = await startFaultStack({ env: { POLICY_FILE: noQuietHours() } });
  await faults.startWorker();
}, 300_000);
afterAll(async () => faults?.stop(), 120_000);

interface Request {
  person: number;
  lead: IntakeRequest;
  key?: string;
}

/**
 * Six intakes of one person: a retry under the same Idempotency-Key, the same lead under a new key
 * and under none, and the same person again by ID number with a new phone (even people) or by phone
 * with another ID number (odd people), under a key and under none. (Both variants for one person
 * would share nothing with each other, and two cases would be right if they came first.)
 */
function intakesOf(person: number, channelId: string): Request[] {
  const lead = aLead({ channelId });
  const otherId = anIdNumber();
  const again =
    person % 2 === 0
      ? aLead({ channelId, applicant: { idNumber: lead.applicant.idNumber, phone: aPhone() } })
      : aLead({
          channelId,
          applicant: { idNumber: otherId, residenceRegion: otherId.slice(0, 6), phone: lead.applicant.phone },
        });
  return [
    { person, lead, key: `p${person}-a` },
    { person, lead, key: `p${person}-a` },
    { person, lead, key: `p${person}-b` },
    { person, lead },
    { person, lead: again, key: `p${person}-c` },
    { person, lead: again },
  ];
}

const shuffled = <T>(items: T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};

test('a burst of intakes with repeated Idempotency-Keys and repeated people makes exactly one case per person', async () => {
  const { app } = faults;
  const ch = await aChannel(app.db, { grade: 'premium' });
  await aBroker(app.db, ch.team);
  const requests = shuffled(Array.from({ length: PEOPLE }, (_, p) => intakesOf(p, ch.id)).flat());

  const answers = await mapLimit(requests, 32, (r) =>
    app.api(actors.channel(ch.id), 'POST', '/v1/leads', r.lead, r.key ? { 'idempotency-key': r.key } : {}),
  );
  expect(answers.filter((a) => a.status !== 200 && a.status !== 201).map((a) => [a.status, a.body?.code])).toEqual([]);

  const byPerson = new Map<number, ApiResponse[]>();
  requests.forEach((r, i) => byPerson.set(r.person, [...(byPerson.get(r.person) ?? []), answers[i]]));
  for (const [person, theirs] of byPerson) {
    // One case, made by exactly one of the six; the rest joined it or replayed an answer.
    expect({
      person,
      cases: new Set(theirs.map((a) => a.body.caseId)).size,
      created: theirs.filter((a) => a.status === 201).length,
    }).toEqual({ person, cases: 1, created: 1 });
  }
  // The two requests under one key got the same answer.
  const byKey = new Map<string, ApiResponse[]>();
  requests.forEach((r, i) => r.key && byKey.set(r.key, [...(byKey.get(r.key) ?? []), answers[i]]));
  const withoutReplayFlag = (body: Record<string, unknown>) => ({ ...body, replayed: undefined });
  for (const [key, theirs] of byKey) {
    expect({ key, answers: theirs.map((a) => withoutReplayFlag(a.body)) }).toEqual({
      key,
      answers: theirs.map(() => withoutReplayFlag(theirs[0].body)),
    });
    expect({ key, firstHand: theirs.filter((a) => !a.body.replayed).length }).toEqual({ key, firstHand: 1 });
  }

  const caseIds = [...byPerson.values()].map((theirs) => theirs[0].body.caseId as string);
  const [{ n: cases }] = await app.db.query('SELECT count(*)::int AS n FROM lead_cases WHERE channel_id = $1', [ch.id]);
  expect(cases).toBe(PEOPLE);
  // Every answer that was not a replay was recorded once as an intake of the case: 'new' or 'duplicate'.
  const recorded: { case_id: string; n: number }[] = await app.db.query(
    'SELECT case_id, count(*)::int AS n FROM lead_intakes WHERE case_id = ANY($1) GROUP BY 1',
    [caseIds],
  );
  const answered = new Map(
    caseIds.map((id) => [id, answers.filter((a) => a.body.caseId === id && !a.body.replayed).length]),
  );
  expect(Object.fromEntries(recorded.map((r) => [r.case_id, r.n]))).toEqual(Object.fromEntries(answered));

  await waitUntilHandedOver(app, caseIds, 600_000);
  expect(await casesWithRowsNotWrittenOnce(app.db, caseIds)).toEqual([]);
  // Intakes that lost a race terminated the workflow they had started: none runs without its case.
  await eventually(
    async () => {
      const half = await halfMadeCases(app);
      return half.rowsWithoutParts.length === 0 && half.workflowsWithoutRow.length === 0;
    },
    'no half-made case (visibility of terminated intakes can lag)',
    60_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await halfMadeCases(app))}`);
  });
});
