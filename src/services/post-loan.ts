import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../api/auth';
import { AppError } from '../api/errors';
import type { Policy } from '../config/policy';
import { appendAudit } from '../db/audit';
import { checkContactAllowed, localDayKey } from '../domain/contact-rules';

/**
 * Post-loan check-ins (贷后回访). After a lender approves a case, the broker calls the customer back
 * at each of `postLoan.checkInDays` after the approval: did the loan arrive on the terms promised,
 * was any fee charged beyond the contract? A "no" is a conduct problem at the lender or the broker,
 * so compliance is told at once. The calls obey the contact rules (do-not-contact, quiet hours, the
 * daily cap); a check-in nobody reached after `postLoan.maxAttempts` calls is closed as unreached.
 *
 * The daily `post-loan-check-ins` schedule plans them (`planCheckIns`). No row holds personal data.
 */

export type CheckInState = 'due' | 'done' | 'unreached' | 'cancelled';

export interface CheckInView {
  caseId: string;
  seq: number;
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
  seq: number;
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

const COLUMNS = 'case_id, seq, due_at, broker_id, state, attempts, attempts_day, attempts_today, terms_as_agreed, extra_fees_charged, closed_by, closed_at';

function toView(r: CheckInRow): CheckInView {
  return {
    caseId: r.case_id,
    seq: r.seq,
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
 * Plans every check-in that has fallen due by `at` on an approved case that is not erased and whose
 * customer did not ask to be left alone, unless it fell due more than `planWithinDays` ago. The
 * caller is the case's broker while that broker is active; otherwise the shared pool, where a
 * manager picks it up. Planning again plans nothing twice. Each broker (and the managers, for the
 * pool) gets one notification per run listing their new check-ins. Check-ins still due on a case
 * since erased, or whose customer has since asked not to be contacted, are cancelled.
 */
export async function planCheckIns(db: DataSource, policy: Policy, input: { at: string; eventId: string }): Promise<{ planned: number; cancelled: number }> {
  const { checkInDays, planWithinDays } = policy.postLoan;
  const latest = Math.max(0, ...checkInDays);
  return db.transaction(async (m) => {
    const [{ n: cancelled }] = await m.query(
      `WITH gone AS (
         UPDATE post_loan_check_ins p SET state = 'cancelled', closed_by = CASE WHEN c.erased_at IS NOT NULL THEN 'system:erased' ELSE 'system:do_not_contact' END,
                closed_at = $1::timestamptz
           FROM lead_cases c
          WHERE c.id = p.case_id AND p.state = 'due' AND (c.erased_at IS NOT NULL OR c.do_not_contact)
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [input.at],
    );
    if (checkInDays.length === 0) return { planned: 0, cancelled };
    const planned: { case_id: string; seq: number; due_at: Date; broker_id: string | null }[] = await m.query(
      `INSERT INTO post_loan_check_ins (case_id, seq, due_at, broker_id)
       SELECT c.id, d.seq, c.closed_at + make_interval(days => d.days), CASE WHEN b.active THEN c.broker_id END
         FROM lead_cases c
         CROSS JOIN unnest($2::int[]) WITH ORDINALITY AS d(days, seq)
         LEFT JOIN brokers b ON b.id = c.broker_id
        WHERE c.outcome = 'approved' AND c.erased_at IS NULL AND NOT c.do_not_contact
          AND c.closed_at > $1::timestamptz - make_interval(days => $3::int + $4::int)
          AND c.closed_at + make_interval(days => d.days) <= $1::timestamptz
          AND c.closed_at + make_interval(days => d.days) > $1::timestamptz - make_interval(days => $4::int)
       ON CONFLICT (case_id, seq) DO NOTHING
       RETURNING case_id, seq, due_at, broker_id`,
      [input.at, checkInDays, latest, planWithinDays],
    );
    const byBroker = new Map<string | null, typeof planned>();
    for (const p of planned) byBroker.set(p.broker_id, [...(byBroker.get(p.broker_id) ?? []), p]);
    for (const [brokerId, items] of byBroker) {
      await m.query(
        `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
         VALUES ($1, 'post_loan_check_ins_due', NULL, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING`,
        [
          `${input.eventId}:${brokerId ?? 'pool'}`,
          brokerId ? 'broker' : 'manager',
          brokerId,
          JSON.stringify({ at: input.at, checkIns: items.map((i) => ({ caseId: i.case_id, seq: i.seq, dueAt: new Date(i.due_at).toISOString() })) }),
        ],
      );
    }
    return { planned: planned.length, cancelled };
  });
}

/** Check-ins by state: a broker sees the ones they are to make (or made); managers and compliance see all. */
export async function listCheckIns(db: DataSource, actor: Actor, q: { state?: CheckInState; brokerId?: string; pool?: boolean; limit: number }): Promise<{ items: CheckInView[] }> {
  if (actor.role === 'broker' && q.brokerId !== undefined && q.brokerId !== actor.sub) {
    throw new AppError(403, 'not_your_check_ins', 'a broker sees only their own check-ins');
  }
  if (actor.role === 'broker' && q.pool) throw new AppError(403, 'not_your_check_ins', 'the shared pool is for managers');
  const brokerId = actor.role === 'broker' ? actor.sub : q.brokerId;
  const rows: CheckInRow[] = await db.query(
    // A due check-in whose case was erased or marked do-not-contact since planning is not shown as
    // due: the next planning run cancels it.
    `SELECT ${COLUMNS.split(', ').map((c) => `p.${c}`).join(', ')} FROM post_loan_check_ins p JOIN lead_cases c ON c.id = p.case_id
      WHERE ($1::text IS NULL OR p.state = $1) AND ($2::text IS NULL OR p.broker_id = $2) AND (NOT $3 OR p.broker_id IS NULL)
        AND NOT (p.state = 'due' AND (c.erased_at IS NOT NULL OR c.do_not_contact))
      ORDER BY p.due_at, p.case_id, p.seq LIMIT $4`,
    [q.state ?? null, brokerId ?? null, q.pool === true, q.limit],
  );
  return { items: rows.map(toView) };
}

export type CheckInCall = { reached: false } | { reached: true; termsAsAgreed: boolean; extraFeesCharged: boolean };

/**
 * Records one call of a check-in, by its broker (or a manager, for the pool's). Refused, with the
 * contact rules' codes, after do-not-contact, in quiet hours or over the day's cap; refused once the
 * case is erased or the check-in closed. A reached call closes it with the customer's answers; the
 * `maxAttempts`-th unreached call closes it as unreached. An answer that shows a problem (terms not
 * as agreed, or a fee beyond the contract) notifies compliance.
 */
export async function recordCheckInCall(
  db: DataSource, policy: Policy, actor: Actor, ref: { caseId: string; seq: number }, call: CheckInCall, now = new Date(),
): Promise<CheckInView> {
  return db.transaction(async (m) => {
    // The case row's share lock orders the call against erasure, which locks it for update.
    const [c] = await m.query('SELECT erased_at, do_not_contact FROM lead_cases WHERE id = $1 FOR SHARE', [ref.caseId]);
    if (!c) throw new AppError(404, 'case_not_found', `case ${ref.caseId} was not found`);
    const [row]: CheckInRow[] = await m.query(`SELECT ${COLUMNS} FROM post_loan_check_ins WHERE case_id = $1 AND seq = $2 FOR UPDATE`, [ref.caseId, ref.seq]);
    if (!row) throw new AppError(404, 'check_in_not_found', `case ${ref.caseId} has no check-in ${ref.seq}`);
    mayCall(actor, row);
    if (c.erased_at) throw new AppError(409, 'case_closed', 'the personal data is already erased; nobody is called');
    if (row.state !== 'due') throw new AppError(409, 'check_in_closed', `check-in ${ref.seq} is already ${row.state}`);

    const day = localDayKey(now, policy.contact.timeZone);
    const attemptsToday = row.attempts_day === day ? row.attempts_today : 0;
    const verdict = checkContactAllowed(
      { at: now, purpose: 'service', attemptsToday, doNotContact: c.do_not_contact, marketingConsent: false, vulnerable: false },
      policy,
    );
    if (!verdict.allowed) throw new AppError(422, verdict.code, verdict.reason);

    const attempts = row.attempts + 1;
    const state: CheckInState = call.reached ? 'done' : attempts >= policy.postLoan.maxAttempts ? 'unreached' : 'due';
    const by = `${actor.role}:${actor.sub}`;
    // (A CTE: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].)
    const [updated]: CheckInRow[] = await m.query(
      `WITH u AS (UPDATE post_loan_check_ins SET attempts = $3, attempts_day = $4, attempts_today = $5, state = $6, terms_as_agreed = $7, extra_fees_charged = $8,
              closed_by = CASE WHEN $6 = 'due' THEN NULL ELSE $9 END, closed_at = CASE WHEN $6 = 'due' THEN NULL ELSE $10::timestamptz END
        WHERE case_id = $1 AND seq = $2 RETURNING ${COLUMNS}) SELECT * FROM u`,
      [ref.caseId, ref.seq, attempts, day, attemptsToday + 1, state,
        call.reached ? call.termsAsAgreed : null, call.reached ? call.extraFeesCharged : null, by, now.toISOString()],
    );
    const problem = call.reached && (!call.termsAsAgreed || call.extraFeesCharged);
    if (problem) await notifyCompliance(m, ref, call);
    await appendAudit(m, {
      actorSub: actor.sub, actorRole: actor.role, action: 'post_loan.check_in_called', targetType: 'lead_case', targetId: ref.caseId,
      details: { seq: ref.seq, attempt: attempts, reached: call.reached, state, ...(call.reached ? { termsAsAgreed: call.termsAsAgreed, extraFeesCharged: call.extraFeesCharged } : {}) },
    });
    return toView(updated);
  });
}

function mayCall(actor: Actor, row: CheckInRow): void {
  if (actor.role === 'manager') return;
  if (row.broker_id === null) throw new AppError(403, 'not_assigned_broker', 'a check-in in the shared pool is made by a manager');
  if (row.broker_id !== actor.sub) throw new AppError(403, 'not_assigned_broker', 'only the broker the check-in is planned for may record it');
}

async function notifyCompliance(m: EntityManager, ref: { caseId: string; seq: number }, answers: { termsAsAgreed: boolean; extraFeesCharged: boolean }): Promise<void> {
  await m.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
     VALUES ($1, 'post_loan_problem', $2, 'compliance', NULL, $3) ON CONFLICT (event_id) DO NOTHING`,
    [`post-loan:${ref.caseId}:${ref.seq}`, ref.caseId, JSON.stringify({ caseId: ref.caseId, seq: ref.seq, ...answers })],
  );
}
