/** The audit chain's activities and the checkpoint they pass to the anchor workflow: types only, for workflow code. */

/**
 * The chain's head at one moment, signed with the audit key, to be kept outside Postgres (the
 * auditAnchor workflow's history): whoever can change the database cannot change it, so the
 * chain must still reach it, row for row, however the rows were altered.
 */
export interface AuditCheckpoint {
  /** The newest row's id ('0': the trail was empty). */
  lastId: string;
  /** How many rows have an id up to lastId. */
  count: number;
  /** That row's hash (its MAC); 'genesis' for an empty trail. */
  headMac: string;
  /** When it was taken (ISO 8601). */
  at: string;
  /** The audit key that signed it. */
  keyId: string;
  /** HMAC-SHA256 of the fields above. */
  signature: string;
}

export interface AuditActivities {
  /** Signs the chain's head and records it in the audit anchor (of the lead task queue); returns it. */
  recordAuditCheckpoint(): Promise<AuditCheckpoint>;
}
