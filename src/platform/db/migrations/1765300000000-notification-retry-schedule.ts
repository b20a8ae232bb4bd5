import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each notification carries when it may next be tried. The relay used to count its back-off from
 * `created_at`, so a row older than two minutes was always due: during a receiver outage it used up
 * all its attempts within milliseconds and was given up. Now the back-off counts from the last
 * attempt, and a claimed row is leased (its next attempt pushed out) while it is being delivered.
 */
export class NotificationRetrySchedule1765300000000 implements MigrationInterface {
  name = 'NotificationRetrySchedule1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE notifications ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now()');
    await q.query(
      `UPDATE notifications SET next_attempt_at = created_at + interval '1 second' * (power(2, attempts) - 1) WHERE status = 'pending'`,
    );
    await q.query('DROP INDEX notifications_pending');
    await q.query(`CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX notifications_due');
    await q.query(`CREATE INDEX notifications_pending ON notifications (created_at) WHERE status = 'pending'`);
    await q.query('ALTER TABLE notifications DROP COLUMN next_attempt_at');
  }
}
