import { randomUUID } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { dataConverterFor } from '../src/platform/temporal/connection';
import { leadWorkflowId } from '../src/platform/temporal/names';
import { verifiedUpdate } from '../src/platform/temporal/calls';
import { contactAttemptUpdate } from '../src/modules/lead/messages';
import type { Bench } from './context';
import { contactAttempts, followUpCases, type FollowUpCase } from './workload';
import { runPool, type PoolRun } from './load';
import { alternate, share } from './rounds';
import { atMost, formatNumber, ratio, summarize, type FigureRow, type LatencySummary } from './stats';
import { benchCaseLike, benchCaseLikeUpdate, benchFinishSignal, benchNoopUpdate, benchUpdatable } from './workflows';

export interface ActionLatency {
  contact: LatencySummary;
  noop?: LatencySummary;
}

/** Contact attempts (an Update on leadCase, through the API) on fresh follow-up cases. */
export async function measureContactAttempts(b: Bench, n: number, concurrency: number): Promise<LatencySummary> {
  const cases = await followUpCases(b, Math.max(concurrency * 4, 8));
  await contactAttempts(b, cases, cases.length, concurrency); // warm-up: every case's first attempt
  const run = await contactAttempts(b, cases, n, concurrency, 1);
  return summarize(run.latencies);
}

/** `n` Updates, the `i`-th on the case or workflow at `offset + i` (round robin). */
type Side = (n: number, offset: number) => Promise<PoolRun>;

/** The four ways figure 2 sends an Update. */
interface ActionSides {
  /** A contact attempt through the API. */
  contact: Side;
  /** The contact attempt's own Update straight to Temporal, as the API sends it. */
  direct: Side;
  /** A no-op Update on a bare workflow. */
  noop: Side;
  /** A bare workflow's Update that does what a contact attempt makes the engine do. */
  sameWork: Side;
}

/**
 * The contact attempt's own Update sent straight to Temporal, as the API sends it (with the
 * payload codec), on the same cases: what the API adds is the difference.
 */
function straightToTemporal(b: Bench, cases: FollowUpCase[], concurrency: number): Side {
  const codecClient = new Client({
    connection: b.client.connection,
    namespace: b.cfg.TEMPORAL_NAMESPACE,
    dataConverter: dataConverterFor(b.cfg),
  });
  return (n, offset) =>
    runPool(n, concurrency, (i) => {
      const k = cases[(offset + i) % cases.length];
      const workflowId = leadWorkflowId(k.caseId);
      return codecClient.workflow
        .getHandle(workflowId)
        .executeUpdate(
          contactAttemptUpdate,
          verifiedUpdate(
            workflowId,
            contactAttemptUpdate.name,
            { sub: k.brokerId, role: 'broker' },
            { channel: 'phone', purpose: 'service', outcome: 'no_answer' },
          ),
        );
    });
}

/** 2. p50/p99 of a contact attempt through the API against executeUpdate with a no-op handler. */
export async function caseActionLatency(b: Bench): Promise<{ rows: FigureRow[]; details: Record<string, unknown> }> {
  const { updates, updateConcurrency: c, rounds } = b.opts;
  const cases = await followUpCases(b, Math.max(c * 4, 8));
  const handles: WorkflowHandle<typeof benchUpdatable>[] = await Promise.all(
    cases.map(() =>
      b.client.workflow.start(benchUpdatable, {
        taskQueue: b.bareQueue,
        workflowId: `bench-updatable-${randomUUID()}`,
      }),
    ),
  );
  // The engine's floor: bare workflows whose Update does what a contact attempt makes the engine do.
  const caseLike: WorkflowHandle<typeof benchCaseLike>[] = await Promise.all(
    cases.map(() =>
      b.client.workflow.start(benchCaseLike, { taskQueue: b.bareQueue, workflowId: `bench-case-like-${randomUUID()}` }),
    ),
  );
  const direct = straightToTemporal(b, cases, c);
  try {
    const sides: ActionSides = {
      contact: (n, offset) => contactAttempts(b, cases, n, c, offset),
      direct,
      noop: (n, offset) => runPool(n, c, (i) => handles[(offset + i) % handles.length].executeUpdate(benchNoopUpdate)),
      sameWork: (n, offset) =>
        runPool(n, c, (i) => caseLike[(offset + i) % caseLike.length].executeUpdate(benchCaseLikeUpdate)),
    };
    await sides.contact(cases.length, 0);
    await sides.direct(cases.length, 0);
    await sides.noop(handles.length, 0);
    await sides.sameWork(caseLike.length, 0);

    const timed = await timeActionSides(sides, updates, rounds);
    const s: ActionSummaries = {
      lead: summarize(timed.contact),
      base: summarize(timed.noop),
      same: summarize(timed.sameWork),
      viaClient: summarize(timed.direct),
    };
    const { lead, base, same, viaClient } = s;
    b.log(
      `  contact attempt against the same work on the bare engine: p50 ${formatNumber(ratio(lead.p50, same.p50))}x, p99 ${formatNumber(ratio(lead.p99, same.p99))}x`,
    );
    b.log(
      `  the same Update straight to Temporal (no API): p50 ${formatNumber(viaClient.p50)} ms, p99 ${formatNumber(viaClient.p99)} ms; the API adds ${formatNumber(lead.p50 - viaClient.p50)} ms at p50`,
    );
    return {
      rows: caseActionRows(c, s),
      details: {
        contactAttemptMs: lead,
        contactUpdateStraightToTemporalMs: viaClient,
        noopUpdateMs: base,
        sameWorkOnBareEngineMs: same,
        cases: cases.length,
        concurrency: c,
      },
    };
  } finally {
    await Promise.allSettled([...handles, ...caseLike].map((h) => h.signal(benchFinishSignal)));
  }
}

/** The timed rounds: each side's latencies, in ms. */
async function timeActionSides(
  sides: ActionSides,
  updates: number,
  rounds: number,
): Promise<Record<keyof ActionSides, number[]>> {
  const timed: Record<keyof ActionSides, number[]> = { contact: [], direct: [], noop: [], sameWork: [] };
  let done = 0;
  const inTurn = async (first: keyof ActionSides, second: keyof ActionSides, n: number) => {
    timed[first].push(...(await sides[first](n, done)).latencies);
    timed[second].push(...(await sides[second](n, done)).latencies);
  };
  await alternate(
    rounds,
    async (r) => {
      // Through the API and straight to Temporal take turns too, on the same cases.
      const n = share(updates, rounds, r);
      if (r % 2 === 0) await inTurn('contact', 'direct', n);
      else await inTurn('direct', 'contact', n);
    },
    async (r) => {
      // The two bare sides take turns too.
      const n = share(updates, rounds, r);
      if (r % 2 === 0) await inTurn('noop', 'sameWork', n);
      else await inTurn('sameWork', 'noop', n);
      done += n;
    },
  );
  return timed;
}

interface ActionSummaries {
  /** Contact attempts through the API. */
  lead: LatencySummary;
  /** No-op Updates. */
  base: LatencySummary;
  /** The same work on the bare engine. */
  same: LatencySummary;
  /** The contact attempt's Update straight to Temporal. */
  viaClient: LatencySummary;
}

function caseActionRows(c: number, { lead, base, same, viaClient }: ActionSummaries): FigureRow[] {
  return [
    // The target is set against what the engine itself needs for the same durable work.
    ...(['p50', 'p99'] as const).map((q): FigureRow => ({
      id: `case_action_${q}`,
      figure: `contact attempt via API, ${q} (${c} concurrent)`,
      unit: 'ms',
      value: lead[q],
      baselineLabel: `the same work on the bare engine ${q}`,
      baseline: same[q],
      ratio: ratio(lead[q], same[q]),
      checks: [atMost('ratio <= 1.25', ratio(lead[q], same[q]), 1.25)],
    })),
    ...(['p50', 'p99'] as const).map((q): FigureRow => ({
      id: `case_action_floor_${q}`,
      figure: `same work on the bare engine, ${q} (local activity, timer moved, SlaDueAt)`,
      unit: 'ms',
      value: same[q],
      baselineLabel: `no-op executeUpdate ${q}`,
      baseline: base[q],
      ratio: ratio(same[q], base[q]),
      checks: [],
      note: `the contact attempt is ${formatNumber(ratio(lead[q], base[q]))}x the no-op`,
    })),
    ...(['p50', 'p99'] as const).map((q): FigureRow => ({
      id: `case_action_direct_${q}`,
      figure: `contact attempt's Update straight to Temporal, ${q} (no API)`,
      unit: 'ms',
      value: viaClient[q],
      baselineLabel: `no-op executeUpdate ${q}`,
      baseline: base[q],
      ratio: ratio(viaClient[q], base[q]),
      checks: [],
    })),
  ];
}
