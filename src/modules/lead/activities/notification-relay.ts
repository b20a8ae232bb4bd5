import { createHmac } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import {
  claimDueNotifications,
  markNotificationSent,
  recordNotificationFailure,
  type OutboxRow,
} from '../repository/notification-outbox';

/** Tries before a notification is given up: with the back-off below, a receiver down for about a day. */
export const MAX_ATTEMPTS = 40;
/** The back-off doubles from 1 s after each failed try, up to this. */
const MAX_BACKOFF_SECONDS = 3_600;
interface RelayOptions {
  db: DataSource;
  url: string;
  secret: string;
  logger: Logger;
  intervalMs?: number;
}

/**
 * Delivers the notifications outbox to a webhook with an HMAC-SHA256 signature over
 * `timestamp.body` (header X-Signature: sha256=<hex>, X-Timestamp) and the notification's event ID
 * as Idempotency-Key. Several workers may run it.
 *
 * A batch of due rows is claimed in one statement that pushes their next attempt out by a lease,
 * so no transaction stays open across the HTTP calls, and a relay that dies mid-batch leaves its
 * rows to be tried again once the lease ends (delivery is at least once; receivers dedupe on the
 * Idempotency-Key). A failed try is retried after a back-off counted from that try: 1 s, 2 s, 4 s
 * and so on up to an hour, and the row is marked `failed` after MAX_ATTEMPTS.
 */
export function startNotificationRelay(opts: RelayOptions): () => Promise<void> {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      try {
        const n = await deliverBatch(opts);
        if (n === 0) await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1_000));
      } catch (err) {
        opts.logger.error({ err: (err as Error).message }, 'notification relay error');
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  };
  const running = loop();
  return async () => {
    stopped = true;
    await running;
  };
}

/** Claims a batch and tries each row once; returns how many rows were claimed. */
async function deliverBatch(opts: RelayOptions): Promise<number> {
  const rows = await claim(opts.db);
  for (const row of rows) {
    if (await deliver(opts, row)) {
      await markNotificationSent(opts.db, row.id);
      continue;
    }
    await recordFailedTry(opts, row);
  }
  return rows.length;
}

async function claim(db: DataSource): Promise<OutboxRow[]> {
  const rows = await claimDueNotifications(db);
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** One signed POST of one row; false on any failure, which the caller backs off from. */
async function deliver({ url, secret }: RelayOptions, row: OutboxRow): Promise<boolean> {
  const body = JSON.stringify({
    id: row.event_id,
    kind: row.kind,
    caseId: row.case_id,
    recipient: { role: row.recipient_role, id: row.recipient_id },
    payload: row.payload,
  });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-timestamp': timestamp,
        'x-signature': `sha256=${signature}`,
        'idempotency-key': row.event_id,
      },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** Counts the failed try and schedules the next after the back-off, or gives up after the last. */
async function recordFailedTry({ db, logger }: RelayOptions, row: OutboxRow): Promise<void> {
  const after = await recordNotificationFailure(db, row.id, MAX_ATTEMPTS, MAX_BACKOFF_SECONDS);
  if (after?.status === 'failed')
    logger.error({ notificationId: row.id, attempts: after.attempts }, 'notification given up after its last attempt');
  else logger.warn({ notificationId: row.id, attempts: after?.attempts }, 'notification delivery failed; will retry');
}
