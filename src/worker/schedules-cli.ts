import { config } from '../config';
import { connectClient } from '../infra/temporal-connection';
import { ensureSchedules, SCHEDULES } from './schedules';

/** `npm run schedules`: creates the schedules (the worker also does this at start). */
async function main() {
  const cfg = config();
  const client = await connectClient(cfg);
  const created = await ensureSchedules(client, cfg.TEMPORAL_TASK_QUEUE);
  for (const s of SCHEDULES) console.log(`${created.includes(s.scheduleId) ? 'created ' : 'exists  '} ${s.scheduleId} (every ${s.every})`);
  await client.connection.close();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
