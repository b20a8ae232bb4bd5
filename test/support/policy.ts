import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a POLICY_FILE with these overrides, for a stack whose rules a test needs to pin down. */
export function policyFile(overrides: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.json');
  writeFileSync(path, JSON.stringify(overrides));
  return path;
}

/** Quiet hours of zero length: contact tests then pass at any wall-clock time. */
export const noQuietHours = () => policyFile({ contact: { quietHoursStart: '00:00', quietHoursEnd: '00:00' } });
