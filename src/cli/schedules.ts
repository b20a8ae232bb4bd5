import { config } from '../platform/config';
import { connectClient } from '../platform/temporal/connection';
import { ensureSchedules, SCHEDULES } from '../modules/maintenance/schedules';

/**
 * `npm run schedules`, and in production the schedules job (`node dist/cli/schedules.js`, once per
 * release after the migrations): creates the schedules, or updates those that differ. Workers do it
 * at start only with TEMPORAL_CREATE_SCHEDULES=true (the default in development and test).
 */
async function main() {
  const cfg = config();
  const client = await connectClient(cfg);
  const { created, updated } = await ensureSchedules(client, cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE);
  for (const s of SCHEDULES) {
    const what = created.includes(s.scheduleId) ? 'created ' : updated.includes(s.scheduleId) ? 'updated ' : 'exists  ';
    console.log(`${what} ${s.scheduleId} (every ${s.every}, task queue ${cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE})`);
  }
  await client.connection.close();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
