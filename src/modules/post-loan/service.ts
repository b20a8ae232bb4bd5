import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../platform/domain/actor';
import { DomainError } from '../../platform/domain/errors';
import type { Policy } from '../../platform/config/policy';
import { appendAudit } from '../../platform/audit/log';
import { checkContactAllowed, localDayKey } from '../lead/rules/contact';
import {
  cancelUncallableCheckIns,
  checkInCallsOnDay,
  insertCheckInsDueNotification,
  insertComplianceNotification,
  insertDueCheckIns,
  lockCaseForCall,
  lockCheckIn,
  poolCheckInsOfLeftBrokers,
  selectCheckInsOfCase,
  selectCheckInsPage,
  stillDueAmong,
  updateCheckInAfterCall,
  type CheckInRow,
  type CheckInState,
  type Planned,
  type PlannedFor,
} from './repository';

export type { CheckInState };

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
    const planned =
      checkInDays.length === 0 ? [] : await insertDueCheckIns(m, input.at, checkInDays, latest, planWithinDays);
    const cancelled = await cancelUncallableCheckIns(m, input.at);
    const pooled = await poolCheckInsOfLeftBrokers(m);
    // Told only of what is still due once the run is done: a day planned and superseded in the
    // same run (or whose case changed meanwhile) is not news to anyone.
    const news: PlannedFor[] =
      planned.length + pooled.length === 0 ? [] : await stillDueAmong(m, [...planned, ...pooled]);
    const byBroker = new Map<string | null, Planned[]>();
    for (const p of news) byBroker.set(p.broker_id, [...(byBroker.get(p.broker_id) ?? []), p]);
    for (const [brokerId, items] of byBroker) {
      await insertCheckInsDueNotification(m, `${input.eventId}:${brokerId ?? 'pool'}`, brokerId, {
        at: input.at,
        checkIns: items.map((i) => ({ caseId: i.case_id, day: i.day, dueAt: new Date(i.due_at).toISOString() })),
      });
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
  const rows = await selectCheckInsPage(db, {
    state: q.state ?? null,
    brokerId: brokerId ?? null,
    role: actor.role,
    pool: q.pool === true,
    after: q.cursor ? decodeCursor(q.cursor) : [null, null, null],
    limit: q.limit + 1,
  });
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
    const updated = await updateCheckInAfterCall(m, ref, {
      attempts,
      attemptsDay: today,
      attemptsToday: rowToday + 1,
      state,
      termsAsAgreed: call.reached ? call.termsAsAgreed : null,
      extraFeesCharged: call.reached ? call.extraFeesCharged : null,
      by: `${actor.role}:${actor.sub}`,
      at: now.toISOString(),
    });
    if (call.reached && (!call.termsAsAgreed || call.extraFeesCharged))
      await insertComplianceNotification(m, ref, call);
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
  const c = await lockCaseForCall(m, ref.caseId);
  if (!c) throw new DomainError('case_not_found', `case ${ref.caseId} was not found`);
  const row = await lockCheckIn(m, ref);
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
  const attemptsToday = await checkInCallsOnDay(m, caseId, today);
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

/** A case's check-ins, for the data-subject copy. */
export async function checkInsOfCase(m: Pick<DataSource, 'query'>, caseId: string): Promise<CheckInView[]> {
  return (await selectCheckInsOfCase(m, caseId)).map(toView);
}
