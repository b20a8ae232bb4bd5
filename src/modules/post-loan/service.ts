import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../platform/domain/actor';
import { DomainError } from '../../platform/domain/errors';
import type { Policy } from '../../platform/config/policy';
import { appendAudit } from '../../platform/audit/log';
import { checkContactAllowed, localDayKey } from '../lead/rules/contact';

/**
 * Post-loan check-ins (贷后回访). After a lender approves a case, the broker calls the customer back
 * at each of `postLoan.checkInDays` after the approval: did the loan arrive on the terms promised,
 * was any fee charged beyond the contract? A "no" is a conduct problem at the lender or the broker,
 * so compliance is told at once. The calls obey the contact rules (do-not-contact, quiet hours, the
 * daily cap per customer); a check-in nobody reached after `postLoan.maxAttempts` calls is closed as
 * unreached. A check-in is named by its day (7, 30): the days after the approval it falls due.
 *
 * Only a case in stage `closed` with the outcome `approved` is called: not once the customer has
 * withdrawn consent (stage `withdrawn`), asked not to be contacted, or the case is erased.
 *
 * The daily `post-loan-check-ins` schedule plans them (`planCheckIns`). No row holds personal data.
 */

export type CheckInState = 'due' | 'done' | 'unreached' | 'cancelled';

export interface CheckInView {
  caseId: string;
  day: number;
  dueAt: string;
  brokerId: string | null;
  state: CheckInState;
  attempts: number;
  termsAsAgreed: boolean | null;
  extraFeesCharged: boolean | null;
  closedBy: string | null;
  closedAt: string | null;
}

interface CheckInRow {
  case_id: string;
  day: number;
  due_at: Date;
  broker_id: string | null;
  state: CheckInState;
  attempts: number;
  attempts_day: string | null;
  attempts_today: number;
  terms_as_agreed: boolean | null;
  extra_fees_charged: boolean | null;
  closed_by: string | null;
  closed_at: Date | null;
}

const COLUMN_NAMES = [
  'case_id',
  'day',
  'due_at',
  'broker_id',
  'state',
  'attempts',
  'attempts_day',
  'attempts_today',
  'terms_as_agreed',
  'extra_fees_charged',
  'closed_by',
  'closed_at',
];
const COLUMNS = COLUMN_NAMES.join(', ');

function toView(r: CheckInRow): CheckInView {
  return {
    caseId: r.case_id,
    day: r.day,
    dueAt: new Date(r.due_at).toISOString(),
    brokerId: r.broker_id,
    state: r.state,
    attempts: r.attempts,
    termsAsAgreed: r.terms_as_agreed,
    extraFeesCharged: r.extra_fees_charged,
    closedBy: r.closed_by,
    closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
  };
}

/**
 * Why a case may not be called (SQL over `lead_cases c`), or NULL when it may. A withdrawal is read
 * from the consent ledger as well as the stage: the ledger has it the moment the Update answers,
 * the projection a little later (a closed, approved case moves on only to `withdrawn` or `erased`).
 */
const NOT_CALLABLE = `CASE WHEN c.erased_at IS NOT NULL THEN 'erased'
  WHEN c.stage <> 'closed' OR EXISTS (SELECT 1 FROM consents w WHERE w.case_id = c.id AND w.purpose = 'credit_assessment' AND w.action = 'withdraw')
    THEN 'consent_withdrawn'
  WHEN c.do_not_contact THEN 'do_not_contact' END`;

type Planned = { case_id: string; day: number; due_at: Date };

/**
 * One planning run at `at`:
 * 1. cancels the check-ins still due on a case that may no longer be called (erased, consent
 *    withdrawn, do-not-contact), and those a later check-in of the same case supersedes;
 * 2. moves the due check-ins of a broker who has left to the shared pool;
 * 3. plans every check-in that has fallen due on an approved, closed case, unless it fell due more
 *    than `planWithinDays` ago, for the case's broker while active, else for the pool;
 * 4. tells each broker of their new check-ins, and the managers of the pool's, in one notification each.
 * Running it again changes nothing.
 */
export async function planCheckIns(
  db: DataSource,
  policy: Policy,
  input: { at: string; eventId: string },
): Promise<{ planned: number; pooled: number; cancelled: number }> {
  const { checkInDays, planWithinDays } = policy.postLoan;
  const latest = Math.max(0, ...checkInDays);
  return db.transaction(async (m) => {
    const planned: (Planned & { broker_id: string | null })[] =
      checkInDays.length === 0
        ? []
        : await m.query(
            `INSERT INTO post_loan_check_ins (case_id, day, due_at, broker_id)
       SELECT c.id, d.day, c.closed_at + make_interval(days => d.day), CASE WHEN b.active THEN c.broker_id END
         FROM lead_cases c
         CROSS JOIN unnest($2::int[]) AS d(day)
         LEFT JOIN brokers b ON b.id = c.broker_id
        WHERE c.outcome = 'approved' AND c.stage = 'closed' AND c.erased_at IS NULL AND NOT c.do_not_contact
          AND c.closed_at > $1::timestamptz - make_interval(days => $3::int + $4::int)
          AND c.closed_at + make_interval(days => d.day) <= $1::timestamptz
          AND c.closed_at + make_interval(days => d.day) > $1::timestamptz - make_interval(days => $4::int)
       ON CONFLICT (case_id, day) DO NOTHING
       RETURNING case_id, day, due_at, broker_id`,
            [input.at, checkInDays, latest, planWithinDays],
          );
    const [{ n: cancelled }] = await m.query(
      `WITH gone AS (
         UPDATE post_loan_check_ins p
            SET state = 'cancelled', closed_at = $1::timestamptz,
                closed_by = 'system:' || COALESCE(${NOT_CALLABLE}, 'superseded')
           FROM lead_cases c
          WHERE c.id = p.case_id AND p.state = 'due'
            AND (${NOT_CALLABLE} IS NOT NULL
                 OR EXISTS (SELECT 1 FROM post_loan_check_ins later WHERE later.case_id = p.case_id AND later.day > p.day))
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [input.at],
    );
    const pooled: Planned[] = await m.query(
      `WITH moved AS (
         UPDATE post_loan_check_ins p SET broker_id = NULL FROM brokers b
          WHERE b.id = p.broker_id AND NOT b.active AND p.state = 'due'
         RETURNING p.case_id, p.day, p.due_at)
       SELECT * FROM moved`,
    );
    // Told only of what is still due once the run is done: a day planned and superseded in the
    // same run (or whose case changed meanwhile) is not news to anyone.
    const news: (Planned & { broker_id: string | null })[] =
      planned.length + pooled.length === 0
        ? []
        : await m.query(
            `SELECT p.case_id, p.day, p.due_at, p.broker_id FROM post_loan_check_ins p
        JOIN unnest($1::uuid[], $2::int[]) AS n(case_id, day) ON n.case_id = p.case_id AND n.day = p.day
       WHERE p.state = 'due' ORDER BY p.due_at, p.case_id, p.day`,
            [[...planned, ...pooled].map((p) => p.case_id), [...planned, ...pooled].map((p) => p.day)],
          );
    const byBroker = new Map<string | null, Planned[]>();
    for (const p of news) byBroker.set(p.broker_id, [...(byBroker.get(p.broker_id) ?? []), p]);
    for (const [brokerId, items] of byBroker) {
      await m.query(
        `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
         VALUES ($1, 'post_loan_check_ins_due', NULL, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING`,
        [
          `${input.eventId}:${brokerId ?? 'pool'}`,
          brokerId ? 'broker' : 'manager',
          brokerId,
          JSON.stringify({
            at: input.at,
            checkIns: items.map((i) => ({ caseId: i.case_id, day: i.day, dueAt: new Date(i.due_at).toISOString() })),
          }),
        ],
      );
    }
    return {
      planned: news.filter((n) => planned.some((p) => p.case_id === n.case_id && p.day === n.day)).length,
      pooled: pooled.length,
      cancelled,
    };
  });
}

export interface CheckInListQuery {
  state?: CheckInState;
  brokerId?: string;
  pool?: boolean;
  cursor?: string;
  limit: number;
}

/**
 * Check-ins, soonest due first, a page at a time: a broker sees the ones planned for them while
 * active; managers and compliance see all. The pool holds those with no broker or a broker who has
 * left (the next planning run moves them). A due check-in whose case may no longer be called is
 * not shown as due: the next planning run cancels it.
 */
export async function listCheckIns(
  db: DataSource,
  actor: Actor,
  q: CheckInListQuery,
): Promise<{ items: CheckInView[]; nextCursor: string | null }> {
  const brokerId = brokerOfList(actor, q);
  const [afterAt, afterCase, afterDay] = q.cursor ? decodeCursor(q.cursor) : [null, null, null];
  const rows: CheckInRow[] = await db.query(
    `SELECT ${COLUMN_NAMES.map((c) => `p.${c}`).join(', ')}
       FROM post_loan_check_ins p JOIN lead_cases c ON c.id = p.case_id LEFT JOIN brokers b ON b.id = p.broker_id
      WHERE ($1::text IS NULL OR p.state = $1)
        AND ($2::text IS NULL OR (p.broker_id = $2 AND ($3 <> 'broker' OR b.active)))
        AND (NOT $4 OR p.broker_id IS NULL OR NOT b.active)
        AND ($5::timestamptz IS NULL OR (p.due_at, p.case_id, p.day) > ($5::timestamptz, $6::uuid, $7::int))
        AND NOT (p.state = 'due' AND ${NOT_CALLABLE} IS NOT NULL)
      ORDER BY p.due_at, p.case_id, p.day LIMIT $8`,
    [q.state ?? null, brokerId ?? null, actor.role, q.pool === true, afterAt, afterCase, afterDay, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  return { items: page.map(toView), nextCursor: rows.length > q.limit ? cursorAfter(page[page.length - 1]) : null };
}

/** Whose check-ins a list shows: a broker only their own, and never the pool. */
function brokerOfList(actor: Actor, q: CheckInListQuery): string | undefined {
  if (actor.role === 'broker' && q.brokerId !== undefined && q.brokerId !== actor.sub) {
    throw new DomainError('not_your_check_ins', 'a broker sees only their own check-ins');
  }
  if (actor.role === 'broker' && q.pool) throw new DomainError('not_your_check_ins', 'the shared pool is for managers');
  return actor.role === 'broker' ? actor.sub : q.brokerId;
}

function cursorAfter(last: CheckInRow | undefined): string | null {
  return last
    ? Buffer.from(JSON.stringify([new Date(last.due_at).toISOString(), last.case_id, last.day])).toString('base64url')
    : null;
}

function decodeCursor(cursor: string): [string, string, number] {
  try {
    const [at, caseId, day] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof at !== 'string' ||
      Number.isNaN(Date.parse(at)) ||
      typeof caseId !== 'string' ||
      !/^[0-9a-f-]{36}$/i.test(caseId) ||
      !Number.isInteger(day)
    )
      throw new Error();
    return [at, caseId, day];
  } catch {
    throw new DomainError('invalid_cursor', 'the cursor is not one this API returned');
  }
}

export type CheckInCall = { reached: false } | { reached: true; termsAsAgreed: boolean; extraFeesCharged: boolean };

/**
 * Records one call of a check-in, by the broker it is planned for or by a manager (who supervises
 * every broker's calls and makes the pool's). Refused, with the contact rules' codes, after
 * do-not-contact, in quiet hours or over the day's cap, which counts every check-in call to the
 * customer that local day; refused once the customer has withdrawn consent, the case is erased or
 * the check-in closed. A reached call closes it with the customer's answers; the `maxAttempts`-th
 * unreached call closes it as unreached. An answer that shows a problem (terms not as agreed, or a
 * fee beyond the contract) notifies compliance.
 */
export async function recordCheckInCall(
  db: DataSource,
  policy: Policy,
  actor: Actor,
  ref: { caseId: string; day: number },
  call: CheckInCall,
  now = new Date(),
): Promise<CheckInView> {
  return db.transaction(async (m) => {
    const { c, row } = await lockDueCheckIn(m, actor, ref);
    const today = await assertMayCallToday(m, policy, ref.caseId, c.do_not_contact, now);
    const attempts = row.attempts + 1;
    const state = stateAfterCall(policy, call, attempts);
    const rowToday = row.attempts_day === today ? row.attempts_today : 0;
    // (A CTE: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].)
    const [updated]: CheckInRow[] = await m.query(
      `WITH u AS (UPDATE post_loan_check_ins SET attempts = $3, attempts_day = $4, attempts_today = $5, state = $6, terms_as_agreed = $7, extra_fees_charged = $8,
              closed_by = CASE WHEN $6 = 'due' THEN NULL ELSE $9 END, closed_at = CASE WHEN $6 = 'due' THEN NULL ELSE $10::timestamptz END
        WHERE case_id = $1 AND day = $2 RETURNING ${COLUMNS}) SELECT * FROM u`,
      [
        ref.caseId,
        ref.day,
        attempts,
        today,
        rowToday + 1,
        state,
        call.reached ? call.termsAsAgreed : null,
        call.reached ? call.extraFeesCharged : null,
        `${actor.role}:${actor.sub}`,
        now.toISOString(),
      ],
    );
    if (call.reached && (!call.termsAsAgreed || call.extraFeesCharged)) await notifyCompliance(m, ref, call);
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'post_loan.check_in_called',
      targetType: 'lead_case',
      targetId: ref.caseId,
      details: {
        day: ref.day,
        attempt: attempts,
        reached: call.reached,
        state,
        ...(call.reached ? { termsAsAgreed: call.termsAsAgreed, extraFeesCharged: call.extraFeesCharged } : {}),
      },
    });
    return toView(updated);
  });
}

/**
 * The check-in, locked, if the caller may make it and it is still due. The case row's lock orders
 * the call against erasure (which locks it FOR UPDATE) and against another call to the same
 * customer, so that the day's cap counts both.
 */
async function lockDueCheckIn(m: EntityManager, actor: Actor, ref: { caseId: string; day: number }) {
  const [c] = await m.query(
    `SELECT c.do_not_contact, ${NOT_CALLABLE} AS not_callable FROM lead_cases c WHERE c.id = $1 FOR NO KEY UPDATE`,
    [ref.caseId],
  );
  if (!c) throw new DomainError('case_not_found', `case ${ref.caseId} was not found`);
  const [row]: (CheckInRow & { broker_active: boolean | null })[] = await m.query(
    `SELECT ${COLUMN_NAMES.map((c) => `p.${c}`).join(', ')}, b.active AS broker_active
       FROM post_loan_check_ins p LEFT JOIN brokers b ON b.id = p.broker_id WHERE p.case_id = $1 AND p.day = $2 FOR UPDATE OF p`,
    [ref.caseId, ref.day],
  );
  if (!row) throw new DomainError('check_in_not_found', `case ${ref.caseId} has no check-in for day ${ref.day}`);
  mayCall(actor, row);
  if (c.not_callable === 'erased')
    throw new DomainError('case_closed', 'the personal data is already erased; nobody is called');
  if (c.not_callable === 'consent_withdrawn')
    throw new DomainError('case_closed', 'the customer withdrew consent; nobody is called');
  if (row.state !== 'due')
    throw new DomainError('check_in_closed', `the day-${ref.day} check-in is already ${row.state}`);
  return { c, row };
}

/** The contact rules for a service call now, counting every check-in call to the customer this local day; returns the day. */
async function assertMayCallToday(
  m: EntityManager,
  policy: Policy,
  caseId: string,
  doNotContact: boolean,
  now: Date,
): Promise<string> {
  const today = localDayKey(now, policy.contact.timeZone);
  const [{ n: attemptsToday }] = await m.query(
    'SELECT COALESCE(sum(attempts_today), 0)::int AS n FROM post_loan_check_ins WHERE case_id = $1 AND attempts_day = $2',
    [caseId, today],
  );
  const verdict = checkContactAllowed(
    { at: now, purpose: 'service', attemptsToday, doNotContact, marketingConsent: false, vulnerable: false },
    policy,
  );
  if (!verdict.allowed) throw new DomainError(verdict.code, verdict.reason);
  return today;
}

function stateAfterCall(policy: Policy, call: CheckInCall, attempts: number): CheckInState {
  if (call.reached) return 'done';
  return attempts >= policy.postLoan.maxAttempts ? 'unreached' : 'due';
}

/** A broker who has left hands their check-ins to the pool at once, before the next planning run moves them. */
function mayCall(actor: Actor, row: CheckInRow & { broker_active: boolean | null }): void {
  if (actor.role === 'manager') return;
  if (row.broker_id === null || row.broker_active !== true)
    throw new DomainError('not_assigned_broker', 'a check-in in the shared pool is made by a manager');
  if (row.broker_id !== actor.sub)
    throw new DomainError('not_assigned_broker', 'only the broker the check-in is planned for may record it');
}

async function notifyCompliance(
  m: EntityManager,
  ref: { caseId: string; day: number },
  answers: { termsAsAgreed: boolean; extraFeesCharged: boolean },
): Promise<void> {
  await m.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
     VALUES ($1, 'post_loan_problem', $2, 'compliance', NULL, $3) ON CONFLICT (event_id) DO NOTHING`,
    [
      `post-loan:${ref.caseId}:${ref.day}`,
      ref.caseId,
      JSON.stringify({ caseId: ref.caseId, day: ref.day, ...answers }),
    ],
  );
}

/** A case's check-ins, for the data-subject copy. */
export async function checkInsOfCase(m: Pick<DataSource, 'query'>, caseId: string): Promise<CheckInView[]> {
  const rows: CheckInRow[] = await m.query(
    `SELECT ${COLUMNS} FROM post_loan_check_ins WHERE case_id = $1 ORDER BY day`,
    [caseId],
  );
  return rows.map(toView);
}
