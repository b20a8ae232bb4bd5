import { signAuditCheckpoint, type AuditCheckpoint } from '../../src/platform/audit/checkpoint';
import { auditHash, auditMac } from '../../src/platform/audit/hash';
import { auditKeyring, type AuditKeyring } from '../../src/platform/audit/keyring';
import { verifyAuditChain } from '../../src/platform/audit/verify';

type Row = {
  id: string;
  at: Date;
  actor_sub: string;
  actor_role: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
  key_id: string | null;
};

const keyA = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff)).toString('base64');
const keyB = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 13 + 5) & 0xff)).toString('base64');
const ringA = auditKeyring({ AUDIT_KEY: keyA, AUDIT_KEY_ID: 'a1', AUDIT_OLD_KEYS: '' });
/** After a rotation: B chains new rows, A still verifies the old ones. */
const ringB = auditKeyring({ AUDIT_KEY: keyB, AUDIT_KEY_ID: 'b1', AUDIT_OLD_KEYS: `a1:${keyA}` });

/** Links rows i = from..to onto `rows` as the database would, unkeyed (legacy) or under a key of the ring. */
function extend(rows: Row[], from: number, to: number, key: { ring: AuditKeyring; id: string } | null): Row[] {
  let prev = rows.at(-1)?.hash ?? 'genesis';
  for (let i = from; i <= to; i++) {
    const at = new Date(Date.UTC(2026, 10, 1, 0, 0, i));
    const fields = {
      at: at.toISOString(),
      actorSub: `u-${i}`,
      actorRole: 'broker',
      action: 'lead.viewed',
      targetType: 'lead_case',
      targetId: `c-${i}`,
      details: { n: i },
    };
    const hash = key ? auditMac(key.ring.keys.get(key.id)!, prev, fields) : auditHash(prev, fields);
    rows.push({
      id: String(i),
      at,
      actor_sub: fields.actorSub,
      actor_role: fields.actorRole,
      action: fields.action,
      target_type: fields.targetType,
      target_id: fields.targetId,
      details: fields.details,
      prev_hash: prev,
      hash,
      key_id: key?.id ?? null,
    });
    prev = hash;
  }
  return rows;
}
const legacyChain = (n: number) => extend([], 1, n, null);
const keyedChain = (n: number, ring = ringA) => extend([], 1, n, { ring, id: ring.currentId });

/** Re-links every row from index `from` on with plain SHA-256, as someone without the key would after an edit. */
function relinkWithSha(rows: Row[], from: number): void {
  for (let i = from; i < rows.length; i++) {
    const r = rows[i];
    r.prev_hash = i === 0 ? 'genesis' : rows[i - 1].hash;
    r.hash = auditHash(r.prev_hash, {
      at: r.at.toISOString(),
      actorSub: r.actor_sub,
      actorRole: r.actor_role,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      details: r.details,
    });
  }
}

/** Answers only paged reads (`id > $1 … LIMIT $2`), as a table too large to load at once would need; records each page's size. */
function pagedTable(rows: Row[]) {
  const pages: number[] = [];
  return {
    pages,
    async query(sql: string, params?: unknown[]) {
      if (!/WHERE id > \$1 ORDER BY id LIMIT \$2/.test(sql) || !params)
        throw new Error(`unpaged read of the audit trail: ${sql}`);
      const [after, limit] = params as [string, number];
      const page = rows.filter((r) => Number(r.id) > Number(after)).slice(0, limit);
      pages.push(page.length);
      return page;
    },
  };
}

const checkpointAt = (rows: Row[], ring: AuditKeyring, lastIndex: number): AuditCheckpoint =>
  signAuditCheckpoint(ring, {
    lastId: rows[lastIndex].id,
    count: lastIndex + 1,
    headMac: rows[lastIndex].hash,
    at: new Date().toISOString(),
  });

describe('verifying the audit chain', () => {
  test('reads the trail a page at a time, carrying the chain across pages', async () => {
    const table = pagedTable(keyedChain(25));
    expect(await verifyAuditChain(table, { pageSize: 10, keyring: ringA })).toBeNull();
    expect(table.pages).toEqual([10, 10, 5]);
  });

  test('finds a row altered on a later page, and a link broken at a page boundary', async () => {
    const altered = keyedChain(25);
    altered[17].details = { n: 'forged' };
    expect(await verifyAuditChain(pagedTable(altered), { pageSize: 10, keyring: ringA })).toEqual({
      code: 'row_altered',
      brokenAtId: '18',
      reason: 'row content does not match its hash',
    });

    const relinked = keyedChain(25);
    relinked[10].prev_hash = relinked[8].hash; // row 11, first of the second page, points past row 10
    expect(await verifyAuditChain(pagedTable(relinked), { pageSize: 10, keyring: ringA })).toEqual({
      code: 'link_broken',
      brokenAtId: '11',
      reason: 'prev_hash does not match the previous row',
    });
  });

  test('a row edited and every later row re-hashed with plain SHA-256 does not verify: the links are keyed', async () => {
    const rows = keyedChain(12);
    rows[4].details = { n: 'forged' };
    relinkWithSha(rows, 4);
    expect(await verifyAuditChain(pagedTable(rows), { keyring: ringA })).toMatchObject({
      code: 'row_altered',
      brokenAtId: '5',
    });
    // Calling the rewritten rows unkeyed does not help either: an unkeyed row may not follow keyed ones.
    for (const r of rows.slice(4)) r.key_id = null;
    expect(await verifyAuditChain(pagedTable(rows), { keyring: ringA })).toMatchObject({
      code: 'unkeyed_row',
      brokenAtId: '5',
    });
  });

  test('rows from before the chain was keyed verify as the SHA-256 chain they are, and the keyed rows link onto them', async () => {
    const rows = extend(legacyChain(5), 6, 10, { ring: ringA, id: 'a1' });
    expect(await verifyAuditChain(pagedTable(rows), { keyring: ringA })).toBeNull();
  });

  test('after the audit key is rotated, rows chained under the retired key still verify; without it they do not', async () => {
    const rows = extend(keyedChain(6, ringA), 7, 12, { ring: ringB, id: 'b1' });
    expect(rows.map((r) => r.key_id)).toEqual([...Array(6).fill('a1'), ...Array(6).fill('b1')]);
    expect(await verifyAuditChain(pagedTable(rows), { keyring: ringB })).toBeNull();
    const forgotten = auditKeyring({ AUDIT_KEY: keyB, AUDIT_KEY_ID: 'b1', AUDIT_OLD_KEYS: '' });
    expect(await verifyAuditChain(pagedTable(rows), { keyring: forgotten })).toMatchObject({
      code: 'unknown_key',
      brokenAtId: '1',
    });
  });
});

describe('verifying against the newest checkpoint', () => {
  test('an intact chain reaches its checkpoint, with rows appended since', async () => {
    const rows = keyedChain(20);
    expect(
      await verifyAuditChain(pagedTable(rows), {
        keyring: ringA,
        checkpoint: checkpointAt(rows, ringA, 14),
        pageSize: 4,
      }),
    ).toBeNull();
    expect(
      await verifyAuditChain(pagedTable(rows), { keyring: ringA, checkpoint: checkpointAt(rows, ringA, 19) }),
    ).toBeNull();
  });

  test('a tail cut back past the checkpoint shows, though the rows left are a whole chain', async () => {
    const rows = keyedChain(20);
    const cp = checkpointAt(rows, ringA, 14);
    expect(await verifyAuditChain(pagedTable(rows.slice(0, 12)), { keyring: ringA, checkpoint: cp })).toMatchObject({
      code: 'chain_ends_before_checkpoint',
      brokenAtId: '15',
    });
    // Cutting only rows after the checkpoint is the window the checkpoint's age measures.
    expect(await verifyAuditChain(pagedTable(rows.slice(0, 15)), { keyring: ringA, checkpoint: cp })).toBeNull();
  });

  test('a truncated trail shows', async () => {
    const rows = keyedChain(5);
    expect(
      await verifyAuditChain(pagedTable([]), { keyring: ringA, checkpoint: checkpointAt(rows, ringA, 4) }),
    ).toMatchObject({ code: 'chain_ends_before_checkpoint' });
  });

  test('the checkpoint row deleted, a row before it deleted, or the chain rebuilt show', async () => {
    const rows = legacyChain(20); // unkeyed rows can be re-linked by anyone: only the checkpoint catches these
    const cp = checkpointAt(rows, ringA, 14);

    const noHead = rows.filter((r) => r.id !== '15').map((r) => ({ ...r }));
    relinkWithSha(noHead, 14);
    expect(await verifyAuditChain(pagedTable(noHead), { keyring: ringA, checkpoint: cp })).toMatchObject({
      code: 'checkpoint_row_missing',
      brokenAtId: '15',
    });

    const oneGone = rows.filter((r) => r.id !== '3').map((r) => ({ ...r }));
    relinkWithSha(oneGone, 2);
    expect(await verifyAuditChain(pagedTable(oneGone), { keyring: ringA, checkpoint: cp })).toMatchObject({
      code: 'checkpoint_count_mismatch',
      brokenAtId: '15',
    });

    const rewritten = rows.map((r) => ({ ...r }));
    rewritten[6].details = { n: 'forged' };
    relinkWithSha(rewritten, 6);
    expect(await verifyAuditChain(pagedTable(rewritten), { keyring: ringA, checkpoint: cp })).toMatchObject({
      code: 'checkpoint_head_mismatch',
      brokenAtId: '15',
    });
  });

  test('a checkpoint not signed by an audit key (forged, or altered) is refused', async () => {
    const rows = keyedChain(5);
    const cp = checkpointAt(rows, ringA, 4);
    expect(await verifyAuditChain(pagedTable(rows), { keyring: ringA, checkpoint: { ...cp, count: 4 } })).toMatchObject(
      { code: 'checkpoint_signature_invalid' },
    );
    const stranger = auditKeyring({ AUDIT_KEY: keyB, AUDIT_KEY_ID: 'a1', AUDIT_OLD_KEYS: '' });
    expect(
      await verifyAuditChain(pagedTable(rows), { keyring: ringA, checkpoint: checkpointAt(rows, stranger, 4) }),
    ).toMatchObject({ code: 'checkpoint_signature_invalid' });
    // Signed with a retired key, it still counts.
    expect(await verifyAuditChain(pagedTable(rows), { keyring: ringB, checkpoint: cp })).toBeNull();
  });
});
