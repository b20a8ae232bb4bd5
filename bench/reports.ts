/**
 * Figure 6: the managers' reports at a million cases. Fills a database of its own (beside the
 * bench's, so no other figure sees the rows) with synthetic de-identified case rows spread over
 * two years, then times each report as the API runs it, beside the same query with index scans
 * turned off: the baseline says what the indexes buy, the value what a manager waits.
 */
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { countChannelCases } from '../src/modules/channel/repository/counts';
import { openDatabase } from '../src/platform/db/data-source';
import { funnelReport, slaBreachReport } from '../src/modules/lead/service/reports';
import { atMost, ratio, summarize, type FigureRow } from './stats';

export interface ReportsOptions {
  /** Case rows to fill (the scale is 1,000,000). */
  cases: number;
  /** Timed runs per query and side. */
  runs: number;
}

const CHANNELS = 50;
const BROKERS = 200;
const DAY_MS = 86_400_000;

/** Creates (or recreates) the reports database next to `databaseUrl` and fills it. */
async function fill(databaseUrl: string, cases: number, log: (line: string) => void): Promise<DataSource> {
  const admin = await openDatabase(databaseUrl, { poolMax: 1, audit: null });
  await admin.query('DROP DATABASE IF EXISTS leads_bench_reports');
  await admin.query('CREATE DATABASE leads_bench_reports');
  await admin.destroy();
  const url = new URL(databaseUrl);
  url.pathname = '/leads_bench_reports';
  const db = await openDatabase(url.toString(), { migrate: true, poolMax: 2 });

  const started = performance.now();
  await db.query(`INSERT INTO channels (id, name, type, partner, grade, cac_cny)
                  SELECT 'bench-ch-' || i, 'bench channel ' || i, 'online', 'bench', 'general', 100 + i FROM generate_series(1, ${CHANNELS}) i`);
  await db.query(`INSERT INTO brokers (id, display_name, team, active)
                  SELECT 'bench-b-' || i, 'bench broker ' || i, 'team-' || (i % 10), true FROM generate_series(1, ${BROKERS}) i`);
  // Rows as the projection holds them: two years of cases, most closed, a few open, some erased.
  await db.query(
    `INSERT INTO lead_cases (id, workflow_id, channel_id, channel_grade, stage, is_open, risk_tier, broker_id, consent_state, vulnerable, is_local,
                             amount_cny, term_months, loan_purpose, occupation, age_band, province_code, region_prefix, outcome, fraud_flagged,
                             sla_due_at, created_at)
     SELECT id, 'lead-' || id, 'bench-ch-' || (1 + (h % ${CHANNELS})), 'general',
            CASE WHEN h % 100 < 3 THEN 'follow_up' WHEN h % 100 < 20 THEN 'erased' ELSE 'closed' END,
            h % 100 < 3,
            (ARRAY['A','A','A','B','C'])[1 + (h / 7) % 5],
            'bench-b-' || (1 + (h / 11) % ${BROKERS}), 'granted', h % 50 = 0, true,
            10000 * (1 + h % 30), 24, 'consumption', 'salaried', '30-39', '11', '1101',
            (ARRAY['approved','approved','lender_declined','customer_declined','lost','submitted'])[1 + (h / 13) % 6],
            h % 50 = 1,
            CASE WHEN h % 100 < 3 THEN now() - interval '1 hour' * (h % 72) END,
            now() - interval '1 second' * (h % ${(730 * DAY_MS) / 1000})
       FROM (SELECT gen_random_uuid() AS id, abs(hashtext(g::text)) AS h FROM generate_series(1, $1) g) s`,
    [cases],
  );
  // The deadline marks the workflows leave: about one breach in ten cases, one reassignment in forty.
  await db.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload, status, created_at)
     SELECT 'bench-' || g, CASE WHEN g % 4 = 0 THEN 'case_reassigned' ELSE 'sla_breached' END, NULL, 'manager', NULL,
            jsonb_build_object('brokerId', 'bench-b-' || (1 + g % ${BROKERS}), 'deadline', CASE WHEN g % 3 = 0 THEN 'follow_up' ELSE 'first_contact' END),
            'sent', now() - interval '1 second' * (abs(hashtext(g::text)) % ${(730 * DAY_MS) / 1000})
       FROM generate_series(1, $1) g`,
    [Math.round(cases / 8)],
  );
  await db.query(
    `INSERT INTO lenders (id, name, licence_no, licensed, active) VALUES ('lender-bench', 'bench lender', 'BENCH', true, true)`,
  );
  // Lenders' reports on the approved loans: about one in thirty bad.
  await db.query(
    `INSERT INTO loan_performance (case_id, lender_id, status, as_of, reported_by)
     SELECT id, 'lender-bench', CASE WHEN abs(hashtext(id::text)) % 30 = 0 THEN 'bad' ELSE 'performing' END, now()::date, 'bench'
       FROM lead_cases WHERE outcome = 'approved'`,
  );
  await db.query('VACUUM ANALYZE');
  log(`reports: filled ${cases} cases in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return db;
}

interface ReportQuery {
  id: string;
  figure: string;
  run(db: DataSource): Promise<unknown>;
}

function reportQueries(now: Date): ReportQuery[] {
  const monthAgo = new Date(now.getTime() - 30 * DAY_MS);
  const quarterAgo = new Date(now.getTime() - 90 * DAY_MS);
  return [
    {
      id: '6a',
      figure: 'funnel by channel, last 30 days',
      run: (db) => funnelReport(db, { from: monthAgo, to: now, groupBy: 'channel' }),
    },
    {
      id: '6b',
      figure: 'funnel by broker, last 30 days, by week',
      run: (db) =>
        funnelReport(db, { from: monthAgo, to: now, groupBy: 'broker', period: 'week', timeZone: 'Asia/Shanghai' }),
    },
    {
      id: '6c',
      figure: 'one channel’s figures, 90 days, by week',
      run: (db) =>
        countChannelCases(db.manager, {
          from: quarterAgo,
          to: now,
          channelId: 'bench-ch-7',
          period: 'week',
          timeZone: 'Asia/Shanghai',
        }),
    },
    {
      id: '6d',
      figure: 'channel review of one channel (90-day window)',
      run: (db) => countChannelCases(db.manager, { from: quarterAgo, to: now, channelId: 'bench-ch-7' }),
    },
    {
      id: '6e',
      figure: 'SLA breaches by broker, last 30 days',
      run: (db) => slaBreachReport(db, { from: monthAgo, to: now }),
    },
  ];
}

async function time(db: DataSource, q: ReportQuery, runs: number, indexes: boolean): Promise<number[]> {
  const samples: number[] = [];
  await db.query(
    indexes ? 'RESET ALL' : 'SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off',
  );
  await q.run(db); // warm the cache once
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    await q.run(db);
    samples.push(performance.now() - t0);
  }
  await db.query('RESET ALL');
  return samples;
}

/**
 * Figure 6 rows: p50 of each report at `cases` rows, against the same query without index scans.
 * Target: each report answers in at most 500 ms at p50 and no slower than the scan.
 */
export async function reportsAtScale(
  databaseUrl: string,
  opts: ReportsOptions,
  log: (line: string) => void,
): Promise<{ rows: FigureRow[]; details: Record<string, unknown> }> {
  const db = await fill(databaseUrl, opts.cases, log);
  try {
    const rows: FigureRow[] = [];
    const details: Record<string, unknown> = { cases: opts.cases, runs: opts.runs };
    // Pool of 2 but one session matters: SET applies per connection, so pin the runs to one.
    const runner = db.createQueryRunner();
    await runner.connect();
    const pinned = {
      query: (sql: string, params?: unknown[]) => runner.query(sql, params),
      manager: runner.manager,
    } as unknown as DataSource;
    try {
      for (const q of reportQueries(new Date())) {
        const indexed = summarize(await time(pinned, q, opts.runs, true));
        const scanned = summarize(await time(pinned, q, opts.runs, false));
        rows.push({
          id: q.id,
          figure: `report at ${opts.cases.toLocaleString('en')} cases: ${q.figure} (p50)`,
          unit: 'ms',
          value: indexed.p50,
          baselineLabel: 'same query, index scans off',
          baseline: scanned.p50,
          ratio: ratio(indexed.p50, scanned.p50),
          checks: [
            atMost('p50 <= 500 ms', indexed.p50, 500),
            atMost('ratio <= 1.0', ratio(indexed.p50, scanned.p50), 1.0),
          ],
        });
        details[q.id] = { indexed, scanned };
        log(`reports: ${q.figure}: ${indexed.p50.toFixed(1)} ms (scan ${scanned.p50.toFixed(1)} ms)`);
      }
    } finally {
      await runner.release();
    }
    return { rows, details };
  } finally {
    await db.destroy();
  }
}
