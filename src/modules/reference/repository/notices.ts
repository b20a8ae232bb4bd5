import type { DataSource, EntityManager } from 'typeorm';

/** The SQL of consent notices; ../service/compliance-data explains why a published version never changes. */

/** A notice's row as read, `publishedAt` as the driver returns it. */
export interface NoticeRow {
  version: string;
  contentHash: string;
  publishedAt: string;
}

export async function findNotices(db: DataSource): Promise<NoticeRow[]> {
  return db.query(
    'SELECT version, content_hash AS "contentHash", published_at AS "publishedAt" FROM consent_notices ORDER BY published_at DESC, version DESC',
  );
}

/** The version with its text and recipients, or undefined when it was never published. */
export async function findNotice(db: DataSource, version: string) {
  const [row] = await db.query(
    'SELECT version, text, recipients, content_hash AS "contentHash", published_at AS "publishedAt" FROM consent_notices WHERE version = $1',
    [version],
  );
  return row;
}

export async function noticeExists(db: DataSource, version: string): Promise<boolean> {
  const [notice] = await db.query('SELECT 1 FROM consent_notices WHERE version = $1', [version]);
  return Boolean(notice);
}

/** Inserts the version unless it exists; the inserted row, or none when the version was there already. */
export async function insertNoticeIfAbsent(
  m: EntityManager,
  n: { version: string; text: string; contentHash: string; recipients: unknown[] },
): Promise<NoticeRow[]> {
  return m.query(
    `INSERT INTO consent_notices (version, text, content_hash, recipients) VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING
       RETURNING version, content_hash AS "contentHash", published_at AS "publishedAt"`,
    [n.version, n.text, n.contentHash, JSON.stringify(n.recipients)],
  );
}

export async function findNoticeSummary(m: EntityManager, version: string) {
  const [existing] = await m.query(
    'SELECT version, content_hash AS "contentHash", published_at AS "publishedAt" FROM consent_notices WHERE version = $1',
    [version],
  );
  return existing;
}

/** Which of these lender IDs exist. */
export async function findLenderIds(db: DataSource, ids: string[]): Promise<{ id: string }[]> {
  return db.query('SELECT id FROM lenders WHERE id = ANY($1)', [ids]);
}
