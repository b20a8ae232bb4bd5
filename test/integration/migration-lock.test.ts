import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { migrateDatabase, migrations, openDatabase, withMigrationLock } from '../../src/platform/db/data-source';
import { openOwnerDatabase } from '../support/stack';

let owner: DataSource;
beforeAll(async () => {
  owner = await openOwnerDatabase();
});
afterAll(async () => owner?.destroy());

describe('migrations run under an advisory lock', () => {
  test('two migrate runs started at once on a fresh database: each migration is applied once, the second finds nothing to do', async () => {
    const name = `lce_migrate_${randomUUID().replace(/-/g, '')}`;
    await owner.query(`CREATE DATABASE ${name}`);
    const url = new URL(process.env.DATABASE_MIGRATION_URL!);
    url.pathname = `/${name}`;
    try {
      const runs = await Promise.all([migrateDatabase(url.toString()), migrateDatabase(url.toString())]);
      expect(runs.map((r) => r.applied.length).sort((a, b) => a - b)).toEqual([0, migrations.length]);
      const fresh = await openDatabase(url.toString(), { poolMax: 1, audit: null });
      try {
        const rows: { name: string }[] = await fresh.query('SELECT name FROM migrations');
        expect(rows.map((r) => r.name).sort()).toEqual(migrations.map((m) => m.name).sort());
      } finally {
        await fresh.destroy();
      }
    } finally {
      await owner.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  test('the lock wrapper: a second holder on another connection starts only after the first has finished', async () => {
    const other = await openOwnerDatabase();
    try {
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const firstIn = new Promise<void>((r) => (entered = r));
      const first = withMigrationLock(owner, async () => {
        order.push('first in');
        entered();
        await held;
        order.push('first out');
      });
      await firstIn;
      const second = withMigrationLock(other, async () => {
        order.push('second in');
      });
      await new Promise((r) => setTimeout(r, 300)); // the second is waiting on the lock by now
      expect(order).toEqual(['first in']);
      release();
      await Promise.all([first, second]);
      expect(order).toEqual(['first in', 'first out', 'second in']);
    } finally {
      await other.destroy();
    }
  });
});
