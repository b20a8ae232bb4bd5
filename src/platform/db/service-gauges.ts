import type { DataSource } from 'typeorm';

/** What the service's alerts watch, counted in the database: numbers only, never a case or a person. */
export interface ServiceGaugeCounts {
  /** Open cases whose SLA due time has passed. */
  slaOverdueCases: number;
  /** Closed cases past retention_due_at, not erased and not on legal hold: what the retention sweep owes. */
  erasureBacklogCases: number;
  /** Age of the oldest notification still pending delivery (the outbox); 0 when none. */
  outboxOldestUndeliveredSeconds: number;
  /** Age of the audit trail's first row; null when the trail is empty. */
  auditTrailAgeSeconds: number | null;
}

/**
 * One round trip, each part read through a partial index: lead_cases_sla_due (open cases by SLA
 * due time), lead_cases_retention_due (unerased cases by retention due time),
 * notifications_undelivered_age (pending notifications by age), and audit_events' primary key.
 * The counts cost in proportion to the cases counted, which an alert wants near zero.
 */
export async function readServiceGaugeCounts(db: DataSource): Promise<ServiceGaugeCounts> {
  const [r] = await db.query(`
    SELECT
      (SELECT count(*) FROM lead_cases
        WHERE is_open AND sla_due_at IS NOT NULL AND sla_due_at < now())::int AS sla_overdue,
      (SELECT count(*) FROM lead_cases
        WHERE erased_at IS NULL AND retention_due_at IS NOT NULL AND retention_due_at < now()
          AND NOT is_open AND NOT legal_hold)::int AS erasure_backlog,
      (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM notifications
        WHERE status = 'pending')::float8 AS outbox_oldest,
      (SELECT extract(epoch FROM now() - at) FROM audit_events ORDER BY id LIMIT 1)::float8 AS trail_age`);
  return {
    slaOverdueCases: Number(r.sla_overdue),
    erasureBacklogCases: Number(r.erasure_backlog),
    outboxOldestUndeliveredSeconds: Math.max(0, Number(r.outbox_oldest)),
    auditTrailAgeSeconds: r.trail_age === null ? null : Math.max(0, Number(r.trail_age)),
  };
}
