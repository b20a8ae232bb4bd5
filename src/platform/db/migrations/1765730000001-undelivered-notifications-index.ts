import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The age of the oldest undelivered notification (`lce_outbox_oldest_undelivered_seconds`, read on
 * every scrape of /metrics) by the first row of a partial index, as the lead_cases gauges already
 * are (lead_cases_sla_due, lead_cases_retention_due). notifications_due orders pending rows by
 * their next attempt, not by their age, so it cannot answer this without a scan.
 */
export class UndeliveredNotificationsIndex1765730000001 implements MigrationInterface {
  name = 'UndeliveredNotificationsIndex1765730000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX notifications_undelivered_age ON notifications (created_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX notifications_undelivered_age');
  }
}
