import { auditHash, verifyAuditChain } from '../../src/db/audit';

type Row = { id: string; at: Date; actor_sub: string; actor_role: string; action: string; target_type: string; target_id: string | null; details: unknown; prev_hash: string; hash: string };

/** A chain of `n` audit rows as the database holds them, each linked to the one before. */
function chain(n: number): Row[] {
  const rows: Row[] = [];
  let prev = 'genesis';
  for (let i = 1; i <= n; i++) {
    const at = new Date(Date.UTC(2026, 10, 1, 0, 0, i));
    const fields = { at: at.toISOString(), actorSub: `u-${i}`, actorRole: 'broker', action: 'lead.viewed', targetType: 'lead_case', targetId: `c-${i}`, details: { n: i } };
    const hash = auditHash(prev, fields);
    rows.push({ id: String(i), at, actor_sub: fields.actorSub, actor_role: fields.actorRole, action: fields.action, target_type: fields.targetType, target_id: fields.targetId, details: fields.details, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

/** Answers only paged reads (`id > $1 … LIMIT $2`), as a table too large to load at once would need; records each page's size. */
function pagedTable(rows: Row[]) {
  const pages: number[] = [];
  return {
    pages,
    async query(sql: string, params?: unknown[]) {
      if (!/WHERE id > \$1 ORDER BY id LIMIT \$2/.test(sql) || !params) throw new Error(`unpaged read of the audit trail: ${sql}`);
      const [after, limit] = params as [string, number];
      const page = rows.filter((r) => Number(r.id) > Number(after)).slice(0, limit);
      pages.push(page.length);
      return page;
    },
  };
}

describe('verifying the audit chain', () => {
  test('reads the trail a page at a time, carrying the chain across pages', async () => {
    const table = pagedTable(chain(25));
    expect(await verifyAuditChain(table, { pageSize: 10 })).toBeNull();
    expect(table.pages).toEqual([10, 10, 5]);
  });

  test('finds a row altered on a later page, and a link broken at a page boundary', async () => {
    const altered = chain(25);
    altered[17].details = { n: 'forged' };
    expect(await verifyAuditChain(pagedTable(altered), { pageSize: 10 })).toEqual({ brokenAtId: '18', reason: 'row content does not match its hash' });

    const relinked = chain(25);
    relinked[10].prev_hash = relinked[8].hash; // row 11, first of the second page, points past row 10
    expect(await verifyAuditChain(pagedTable(relinked), { pageSize: 10 })).toEqual({ brokenAtId: '11', reason: 'prev_hash does not match the previous row' });
  });
});
