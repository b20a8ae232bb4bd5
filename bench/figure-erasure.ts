import { performance } from 'node:perf_hooks';
import { createActivities } from '../src/worker/activities';
import { erasureGroupCommitFor } from '../src/modules/lead/activities/erasure';
import { openDatabase } from '../src/platform/db/data-source';
import type { Bench } from './context';
import { intakeBatch } from './workload';
import { runPool } from './load';
import { alternate } from './rounds';
import { atLeast, formatNumber, ratio, type FigureRow } from './stats';

/** The SDK's default maxConcurrentActivityTaskExecutions, which the lead worker keeps. */
const WORKER_ACTIVITY_CONCURRENCY = 100;

type Database = Awaited<ReturnType<typeof openDatabase>>;

/**
 * 5. Erasure through the real activity (eraseLeadData: the worker's group commit, one transaction
 * and one hold of the audit chain's lock per batch of the calls that arrive together) at the
 * worker's activity concurrency, the SDK's default maxConcurrentActivityTaskExecutions of 100: that
 * many erasures run at once when retention timers fire together. Its connection pool is the
 * worker's (DATABASE_POOL_MAX). Against a batched delete of the same kind of rows, `--erase-batch`
 * per statement. Both sides erase open cases made by this run, alternately, in rounds.
 */
export async function erasureRate(
  b: Bench,
  intakePerSecond: number,
): Promise<{ row: FigureRow; details: Record<string, unknown> }> {
  const { erase, eraseBatch, rounds } = b.opts;
  // One batch per side more than is timed: the warm-up.
  const ids = await casesToErase(b, 2 * (erase + eraseBatch));
  const warmActivity = ids.slice(0, eraseBatch);
  const warmBatch = ids.slice(eraseBatch, 2 * eraseBatch);
  const measured = ids.slice(2 * eraseBatch);
  const viaActivity = measured.filter((_, i) => i % 2 === 0);
  const viaBatch = measured.filter((_, i) => i % 2 === 1);

  const concurrency = WORKER_ACTIVITY_CONCURRENCY;
  const workerDb = await openDatabase(b.servers.databaseUrl, { poolMax: b.cfg.DATABASE_POOL_MAX });
  try {
    const activities = createActivities({ db: workerDb, policy: b.cfg.policy });
    const eraseViaActivity = (caseIds: string[], at: string) =>
      runPool(caseIds.length, concurrency, (i) =>
        activities.eraseLeadData({
          caseId: caseIds[i],
          eventId: `bench-erase:${caseIds[i]}`,
          reason: 'consent_withdrawn',
          at,
        }),
      );
    // Warm both paths before anything counts, as figures 1 and 2 do: the pool's connection, and
    // erase_cases's statements, which PL/pgSQL plans on a connection's first call and then reuses
    // for as long as the connection lives (a worker's pool lives as long as the worker).
    await eraseViaActivity(warmActivity, new Date().toISOString());
    await batchedDelete(workerDb, warmBatch);
    const warmUp = erasureGroupCommitFor(workerDb).stats();
    const slice = (ids: string[], r: number) => {
      const per = Math.ceil(ids.length / rounds);
      return ids.slice(r * per, (r + 1) * per);
    };
    let activityMs = 0;
    let batchMs = 0;
    await alternate(
      rounds,
      async (r) => {
        const ids = slice(viaActivity, r);
        const at = new Date().toISOString();
        activityMs += (await eraseViaActivity(ids, at)).elapsedMs;
      },
      async (r) => {
        const ids = slice(viaBatch, r);
        const t0 = performance.now();
        for (let i = 0; i < ids.length; i += eraseBatch) await batchedDelete(workerDb, ids.slice(i, i + eraseBatch));
        batchMs += performance.now() - t0;
      },
    );
    const all = erasureGroupCommitFor(workerDb).stats();
    const groupCommit = {
      batches: all.batches - warmUp.batches,
      cases: all.cases - warmUp.cases,
      peakInFlight: all.peakInFlight,
    };
    return erasureFigure(b, {
      value: viaActivity.length / (activityMs / 1000),
      baseline: viaBatch.length / (batchMs / 1000),
      erasedPerSide: viaActivity.length,
      concurrency,
      intakePerSecond,
      groupCommit,
    });
  } finally {
    await workerDb.destroy();
  }
}

/** `needed` open cases made by this run, in random order; intakes made first if there are too few. */
async function casesToErase(b: Bench, needed: number): Promise<string[]> {
  const have = (
    await b.db.query(
      `SELECT count(*)::int AS n FROM lead_cases WHERE channel_id = $1 AND erased_at IS NULL AND stage = 'awaiting_consent'`,
      [b.channelId],
    )
  )[0].n as number;
  if (have < needed) await intakeBatch(b, needed - have, b.opts.fillConcurrency);
  const rows: { id: string }[] = await b.db.query(
    `SELECT id FROM lead_cases WHERE channel_id = $1 AND erased_at IS NULL AND stage = 'awaiting_consent' ORDER BY random() LIMIT $2`,
    [b.channelId, needed],
  );
  return rows.map((r) => r.id);
}

interface ErasureMeasurement {
  /** Cases per second through the activity. */
  value: number;
  /** Cases per second by the batched delete. */
  baseline: number;
  erasedPerSide: number;
  concurrency: number;
  intakePerSecond: number;
  /** The group commit's batches while timed. */
  groupCommit: { batches: number; cases: number; peakInFlight: number };
}

function erasureFigure(b: Bench, m: ErasureMeasurement): { row: FigureRow; details: Record<string, unknown> } {
  const { value, baseline, concurrency, intakePerSecond, groupCommit } = m;
  const { eraseBatch } = b.opts;
  const r = ratio(value, baseline);
  return {
    row: {
      id: 'erasure_rate',
      figure: `erasure via eraseLeadData (${concurrency} concurrent)`,
      unit: 'cases/s',
      value,
      baselineLabel: `batched SQL delete, ${eraseBatch} per statement`,
      baseline,
      ratio: r,
      // Without figure 1 in the run there is no intake rate to compare with.
      checks: [
        atLeast('ratio >= 0.5', r, 0.5),
        ...(intakePerSecond > 0
          ? [atLeast(`>= 2x intake (${formatNumber(intakePerSecond)}/s)`, value, 2 * intakePerSecond)]
          : []),
      ],
    },
    details: {
      erasedPerSide: m.erasedPerSide,
      concurrency,
      poolMax: b.cfg.DATABASE_POOL_MAX,
      batch: eraseBatch,
      intakePerSecond,
      warmUpPerSide: eraseBatch,
      groupCommit: {
        batches: groupCommit.batches,
        meanBatchSize: groupCommit.batches === 0 ? 0 : groupCommit.cases / groupCommit.batches,
        peakInFlight: groupCommit.peakInFlight,
      },
    },
  };
}

/** The bare minimum an erasure must do, for a set of cases at once: the baseline of figure 5. */
async function batchedDelete(db: Database, ids: string[]): Promise<void> {
  await db.transaction(async (m) => {
    await m.query('DELETE FROM identities WHERE case_id = ANY($1::uuid[])', [ids]);
    await m.query('DELETE FROM lead_data_keys WHERE case_id = ANY($1::uuid[])', [ids]);
    await m.query('DELETE FROM credit_facts WHERE case_id = ANY($1::uuid[])', [ids]);
    await m.query(
      `UPDATE lead_cases SET id_index = NULL, phone_index = NULL, device_index = NULL, age_at_intake = NULL, region_mismatches = '{}',
         is_open = false, erased_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  });
}
