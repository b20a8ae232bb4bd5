import type { DataSource } from 'typeorm';
import { findAuditEvents, type AuditTrailQuery } from '../repository';

export type { AuditTrailQuery };

/** The audit events that match every filter given, newest first. */
export async function listAuditEvents(db: DataSource, q: AuditTrailQuery): Promise<Record<string, unknown>[]> {
  const rows = await findAuditEvents(db, q);
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}
