import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Post-loan check-ins (贷后回访): after a lender approves a case, the broker calls the customer back
 * at the policy's days (`postLoan.checkInDays`) to ask whether the loan arrived on the terms
 * promised and whether any fee was charged beyond the contract. The daily `post-loan-check-ins`
 * schedule plans them; the broker records each call through the API.
 *
 * A check-in is named by its day: the days after the approval it falls due (7, 30), so a change
 * of `checkInDays` neither plans a day twice nor loses one. A row holds no personal data: the case
 * ID, who should call, when, and yes/no answers. It stays after the case is erased, as a
 * de-identified fact; one still due then is cancelled, as it is when the customer withdraws consent
 * or asks not to be contacted, or when the next day's check-in supersedes it.
 * `attempts_day`/`attempts_today` count the calls of one local day, for the contact cap.
 */
export class PostLoanCheckIns1765200000000 implements MigrationInterface {
  name = 'PostLoanCheckIns1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE post_loan_check_ins (
        case_id uuid NOT NULL REFERENCES lead_cases(id),
        day smallint NOT NULL CHECK (day > 0),
        due_at timestamptz NOT NULL,
        broker_id text,
        state text NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'done', 'unreached', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0,
        attempts_day text,
        attempts_today integer NOT NULL DEFAULT 0,
        terms_as_agreed boolean,
        extra_fees_charged boolean,
        closed_by text,
        closed_at timestamptz,
        planned_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (case_id, day),
        CHECK ((state = 'done') = (terms_as_agreed IS NOT NULL AND extra_fees_charged IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX post_loan_check_ins_due ON post_loan_check_ins (due_at) WHERE state = 'due'`);
    await q.query('CREATE INDEX post_loan_check_ins_broker ON post_loan_check_ins (broker_id, due_at)');
    // The planner's scan: approved cases not yet erased, by when they closed.
    await q.query(
      `CREATE INDEX lead_cases_approved_closed ON lead_cases (closed_at) WHERE outcome = 'approved' AND erased_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX lead_cases_approved_closed');
    await q.query('DROP TABLE post_loan_check_ins');
  }
}
