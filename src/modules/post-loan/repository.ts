import type { EntityManager } from 'typeorm';

// The SQL of post-loan check-ins; service.ts holds the checks and decisions.

export type CheckInState = 'due' | 'done' | 'unreached' | 'cancelled';

export interface CheckInRow {
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

type Queryable = Pick<EntityManager, 'query'>;

/**
 * Why a case may not be called (SQL over `lead_cases c`), or NULL when it may. A withdrawal is read
 * from the consent ledger as well as the stage: the ledger has it the moment the Update answers,
 * the projection a little later (a closed, approved case moves on only to `withdrawn` or `erased`).
 */
const NOT_CALLABLE = `CASE WHEN c.erased_at IS NOT NULL THEN 'erased'
  WHEN c.stage <> 'closed' OR EXISTS (SELECT 1 FROM consents w WHERE w.case_id = c.id AND w.purpose = 'credit_assessment' AND w.action = 'withdraw')
    THEN 'consent_withdrawn'
  WHEN c.do_not_contact THEN 'do_not_contact' END`;

export type Planned = { case_id: string; day: number; due_at: Date };
export type PlannedFor = Planned & { broker_id: string | null };

/**
 * Inserts the check-ins fallen due by `at` on approved, closed cases, within the last
 * `planWithinDays`, for the case's broker while active; returns those inserted.
 */
export async function insertDueCheckIns(
  m: Queryable,
  at: string,
  checkInDays: number[],
  latest: number,
  planWithinDays: number,
): Promise<PlannedFor[]> {
  return m.query(
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
    [at, checkInDays, latest, planWithinDays],
  );
}

/** Cancels due check-ins on a case that may no longer be called, or superseded by a later day; returns how many. */
export async function cancelUncallableCheckIns(m: Queryable, at: string): Promise<number> {
  const [{ n }] = await m.query(
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
    [at],
  );
  return n;
}

/** Moves the due check-ins of brokers who have left to the shared pool; returns those moved. */
export async function poolCheckInsOfLeftBrokers(m: Queryable): Promise<Planned[]> {
  return m.query(
    `WITH moved AS (
         UPDATE post_loan_check_ins p SET broker_id = NULL FROM brokers b
          WHERE b.id = p.broker_id AND NOT b.active AND p.state = 'due'
         RETURNING p.case_id, p.day, p.due_at)
       SELECT * FROM moved`,
  );
}

/** Of the given check-ins, those still due, soonest first. */
export async function stillDueAmong(m: Queryable, refs: Planned[]): Promise<PlannedFor[]> {
  return m.query(
    `SELECT p.case_id, p.day, p.due_at, p.broker_id FROM post_loan_check_ins p
        JOIN unnest($1::uuid[], $2::int[]) AS n(case_id, day) ON n.case_id = p.case_id AND n.day = p.day
       WHERE p.state = 'due' ORDER BY p.due_at, p.case_id, p.day`,
    [refs.map((p) => p.case_id), refs.map((p) => p.day)],
  );
}

/** One notification of new check-ins to a broker, or (brokerId null) to the managers of the pool. */
export async function insertCheckInsDueNotification(
  m: Queryable,
  eventId: string,
  brokerId: string | null,
  payload: unknown,
): Promise<void> {
  await m.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
         VALUES ($1, 'post_loan_check_ins_due', NULL, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING`,
    [eventId, brokerId ? 'broker' : 'manager', brokerId, JSON.stringify(payload)],
  );
}

export interface CheckInFilter {
  state: CheckInState | null;
  brokerId: string | null;
  role: string;
  pool: boolean;
  after: [string | null, string | null, number | null];
  limit: number;
}

/** A page of check-ins in (due_at, case_id, day) order, leaving out due ones whose case may no longer be called. */
export async function selectCheckInsPage(db: Queryable, f: CheckInFilter): Promise<CheckInRow[]> {
  const [afterAt, afterCase, afterDay] = f.after;
  return db.query(
    `SELECT ${COLUMN_NAMES.map((c) => `p.${c}`).join(', ')}
       FROM post_loan_check_ins p JOIN lead_cases c ON c.id = p.case_id LEFT JOIN brokers b ON b.id = p.broker_id
      WHERE ($1::text IS NULL OR p.state = $1)
        AND ($2::text IS NULL OR (p.broker_id = $2 AND ($3 <> 'broker' OR b.active)))
        AND (NOT $4 OR p.broker_id IS NULL OR NOT b.active)
        AND ($5::timestamptz IS NULL OR (p.due_at, p.case_id, p.day) > ($5::timestamptz, $6::uuid, $7::int))
        AND NOT (p.state = 'due' AND ${NOT_CALLABLE} IS NOT NULL)
      ORDER BY p.due_at, p.case_id, p.day LIMIT $8`,
    [f.state, f.brokerId, f.role, f.pool, afterAt, afterCase, afterDay, f.limit],
  );
}

/** Locks the case row (ordering the call against erasure and other calls); why it may not be called, if so. */
export async function lockCaseForCall(
  m: Queryable,
  caseId: string,
): Promise<{ do_not_contact: boolean; not_callable: string | null } | undefined> {
  const [c] = await m.query(
    `SELECT c.do_not_contact, ${NOT_CALLABLE} AS not_callable FROM lead_cases c WHERE c.id = $1 FOR NO KEY UPDATE`,
    [caseId],
  );
  return c;
}

/** Locks the check-in, with whether its broker is still active. */
export async function lockCheckIn(
  m: Queryable,
  ref: { caseId: string; day: number },
): Promise<(CheckInRow & { broker_active: boolean | null }) | undefined> {
  const [row] = await m.query(
    `SELECT ${COLUMN_NAMES.map((c) => `p.${c}`).join(', ')}, b.active AS broker_active
       FROM post_loan_check_ins p LEFT JOIN brokers b ON b.id = p.broker_id WHERE p.case_id = $1 AND p.day = $2 FOR UPDATE OF p`,
    [ref.caseId, ref.day],
  );
  return row;
}

/** Every check-in call to the customer on the given local day. */
export async function checkInCallsOnDay(m: Queryable, caseId: string, day: string): Promise<number> {
  const [{ n }] = await m.query(
    'SELECT COALESCE(sum(attempts_today), 0)::int AS n FROM post_loan_check_ins WHERE case_id = $1 AND attempts_day = $2',
    [caseId, day],
  );
  return n;
}

export interface CallRecord {
  attempts: number;
  attemptsDay: string;
  attemptsToday: number;
  state: CheckInState;
  termsAsAgreed: boolean | null;
  extraFeesCharged: boolean | null;
  /** Stored as closed_by/closed_at only when the call closes the check-in. */
  by: string;
  at: string;
}

/** Writes a call's outcome to the check-in; returns the row as it now is. */
export async function updateCheckInAfterCall(
  m: Queryable,
  ref: { caseId: string; day: number },
  r: CallRecord,
): Promise<CheckInRow> {
  // A CTE: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].
  const [updated] = await m.query(
    `WITH u AS (UPDATE post_loan_check_ins SET attempts = $3, attempts_day = $4, attempts_today = $5, state = $6, terms_as_agreed = $7, extra_fees_charged = $8,
              closed_by = CASE WHEN $6 = 'due' THEN NULL ELSE $9 END, closed_at = CASE WHEN $6 = 'due' THEN NULL ELSE $10::timestamptz END
        WHERE case_id = $1 AND day = $2 RETURNING ${COLUMNS}) SELECT * FROM u`,
    [
      ref.caseId,
      ref.day,
      r.attempts,
      r.attemptsDay,
      r.attemptsToday,
      r.state,
      r.termsAsAgreed,
      r.extraFeesCharged,
      r.by,
      r.at,
    ],
  );
  return updated;
}

export async function insertComplianceNotification(
  m: Queryable,
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

export async function selectCheckInsOfCase(m: Queryable, caseId: string): Promise<CheckInRow[]> {
  return m.query(`SELECT ${COLUMNS} FROM post_loan_check_ins WHERE case_id = $1 ORDER BY day`, [caseId]);
}
