import { rmSync } from 'node:fs';
import type { RunningPostgres } from '../../src/platform/db/embedded-postgres';
import type { RunningDevServer } from '../../src/platform/temporal/dev-server';

export default async function stackTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__leadEngineStack as
    { pg: RunningPostgres; temporal: RunningDevServer } | undefined;
  if (!stack) return;
  await stack.temporal.stop();
  await stack.pg.stop();
  if (process.env.TEST_STACK_ROOT) rmSync(process.env.TEST_STACK_ROOT, { recursive: true, force: true });
}
