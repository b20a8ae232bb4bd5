import { Counter, Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { readServiceGaugeCounts, type ServiceGaugeCounts } from '../db/service-gauges';

/** How long one reading serves scrapes: however often /metrics is scraped, by however many scrapers. */
export const SERVICE_GAUGES_CACHE_MS = 15_000;

/** A source slower than this counts as failed, so a scrape answers well within Prometheus's timeout. */
const READ_TIMEOUT_MS = 3_000;

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

export interface ServiceGaugeSources {
  db: DataSource;
  /** When the newest audit checkpoint was taken (null: never); the app reads the anchor in Temporal. */
  newestCheckpointAt: () => Promise<Date | null>;
  cacheMs?: number;
}

interface Reading {
  counts: ServiceGaugeCounts | null;
  checkpointAgeSeconds: number | null;
}

/**
 * The gauges the alerts are written against (deploy/ holds the rules), computed when /metrics is
 * scraped, from one cached reading at most every `cacheMs`: lce_sla_overdue_cases,
 * lce_erasure_backlog_cases, lce_outbox_oldest_undelivered_seconds, lce_audit_checkpoint_age_seconds.
 * No labels: nothing about a case or a person leaves through them. A part that cannot be read
 * keeps its last value and counts in lce_service_gauge_read_failures_total.
 */
export function registerServiceGauges(registry: Registry, sources: ServiceGaugeSources): void {
  const cacheMs = sources.cacheMs ?? SERVICE_GAUGES_CACHE_MS;
  const failures = new Counter({
    name: 'lce_service_gauge_read_failures_total',
    help: 'Readings of the lce_ service gauges that failed (the gauges keep their last value)',
    labelNames: ['source'],
    registers: [registry],
    // Counts the failures of this scrape's reading too.
    async collect() {
      await reading();
    },
  });
  let last: Reading = { counts: null, checkpointAgeSeconds: null };
  let pending: { at: number; reading: Promise<Reading>; done: boolean } | null = null;

  const read = async (): Promise<Reading> => {
    const [counts, checkpoint] = await Promise.allSettled([
      within(readServiceGaugeCounts(sources.db), READ_TIMEOUT_MS),
      within(sources.newestCheckpointAt(), READ_TIMEOUT_MS),
    ]);
    if (counts.status === 'rejected') failures.inc({ source: 'postgres' });
    if (checkpoint.status === 'rejected') failures.inc({ source: 'audit_anchor' });
    const fresh = counts.status === 'fulfilled' ? counts.value : last.counts;
    last = { counts: fresh, checkpointAgeSeconds: checkpointAge(checkpoint, fresh, last.checkpointAgeSeconds) };
    return last;
  };
  const reading = (): Promise<Reading> => {
    // A reading under way serves every gauge of the scrape (and any scrape meanwhile), whatever its age.
    if (!pending || (pending.done && Date.now() - pending.at >= cacheMs)) {
      const next = { at: Date.now(), reading: read(), done: false };
      void next.reading.finally(() => (next.done = true));
      pending = next;
    }
    return pending.reading;
  };

  const gauge = (name: string, help: string, value: (r: Reading) => number | null | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const v = value(await reading());
        if (v !== null && v !== undefined) this.set(v);
      },
    });
  gauge('lce_sla_overdue_cases', 'Open cases past their SLA due time', (r) => r.counts?.slaOverdueCases);
  gauge(
    'lce_erasure_backlog_cases',
    'Closed cases past their retention due time, not erased and not on legal hold',
    (r) => r.counts?.erasureBacklogCases,
  );
  gauge(
    'lce_outbox_oldest_undelivered_seconds',
    'Age of the oldest notification not yet delivered (0 when none)',
    (r) => r.counts?.outboxOldestUndeliveredSeconds,
  );
  gauge(
    'lce_audit_checkpoint_age_seconds',
    'Age of the newest audit checkpoint (none yet: the age of the audit trail; empty trail: 0)',
    (r) => r.checkpointAgeSeconds,
  );
}

/** The checkpoint's age; with none taken yet, how long the trail has gone without one. */
function checkpointAge(
  checkpoint: PromiseSettledResult<Date | null>,
  counts: ServiceGaugeCounts | null,
  previous: number | null,
): number | null {
  if (checkpoint.status === 'rejected') return previous;
  if (checkpoint.value) return Math.max(0, (Date.now() - checkpoint.value.getTime()) / 1000);
  return counts ? (counts.auditTrailAgeSeconds ?? 0) : previous;
}
