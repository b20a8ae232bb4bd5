import { createHmac } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';

const MAX_ATTEMPTS = 8;

/**
 * Delivers the notifications outbox to a webhook with an HMAC-SHA256 signature over
 * `timestamp.body` (header X-Signature: sha256=<hex>, X-Timestamp). Several workers may run it:
 * rows are claimed with SKIP LOCKED. A failed delivery is retried with exponential backoff and
 * marked failed after MAX_ATTEMPTS.
 */
export function startNotificationRelay(opts: { db: DataSource; url: string; secret: string; logger: Logger; intervalMs?: number }): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const deliverBatch = async (): Promise<number> => {
    return opts.db.transaction(async (m) => {
      const rows: { id: string; kind: string; case_id: string | null; recipient_role: string; recipient_id: string | null; payload: unknown; attempts: number; event_id: string }[] =
        await m.query(
          `SELECT * FROM notifications WHERE status = 'pending'
             AND created_at + (interval '1 second' * (power(2, attempts) - 1)) <= now()
           ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED`,
        );
      for (const row of rows) {
        const body = JSON.stringify({ id: row.event_id, kind: row.kind, caseId: row.case_id, recipient: { role: row.recipient_role, id: row.recipient_id }, payload: row.payload });
        const timestamp = Math.floor(Date.now() / 1000).toString();
        const signature = createHmac('sha256', opts.secret).update(`${timestamp}.${body}`).digest('hex');
        let ok: boolean;
        try {
          const res = await fetch(opts.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': `sha256=${signature}`, 'idempotency-key': row.event_id },
            body,
            signal: AbortSignal.timeout(5_000),
          });
          ok = res.ok;
        } catch {
          ok = false;
        }
        if (ok) {
          await m.query(`UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = now() WHERE id = $1`, [row.id]);
        } else {
          const failed = row.attempts + 1 >= MAX_ATTEMPTS;
          await m.query(`UPDATE notifications SET attempts = attempts + 1, status = $2 WHERE id = $1`, [row.id, failed ? 'failed' : 'pending']);
          opts.logger.warn({ notificationId: row.id, attempts: row.attempts + 1 }, 'notification delivery failed');
        }
      }
      return rows.length;
    });
  };

  const loop = async () => {
    while (!stopped) {
      try {
        const n = await deliverBatch();
        if (n === 0) await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1_000));
      } catch (err) {
        opts.logger.error({ err: (err as Error).message }, 'notification relay error');
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  };
  running = loop();
  return async () => {
    stopped = true;
    await running;
  };
}
