import { parseArgs } from 'node:util';
import { config } from '../platform/config';
import { ROLES, type Role } from '../platform/domain/types';
import { signToken, TokenLifetimeError } from '../platform/http/auth';

const usage = (maxHours: number | string) =>
  [
    `usage: npm run token -- --role <${ROLES.join('|')}> --sub <id> [--team T] [--channel CH] [--expires 8h]`,
    '',
    'Prints a bearer token signed with the local JWT_SECRET, for operators and tests.',
    "  --role      the caller's role",
    "  --sub       the caller's ID (a broker's ID must name an active broker)",
    "  --team      the caller's team (optional)",
    '  --channel   the channel a `channel` token acts for (required for role channel)',
    `  --expires   the token's lifetime, e.g. 30m, 8h (default 8h; at most ${maxHours} hours, JWT_MAX_LIFETIME_HOURS)`,
  ].join('\n');

/** `npm run token -- --role manager --sub m1 [--team east] [--channel ch-online-ads] [--expires 8h]` */
async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string' },
        sub: { type: 'string' },
        team: { type: 'string' },
        channel: { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage('JWT_MAX_LIFETIME_HOURS')}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage(config().JWT_MAX_LIFETIME_HOURS)}\n`);
    return 0;
  }
  const role = values.role as Role | undefined;
  const sub = values.sub as string | undefined;
  if (!role || !ROLES.includes(role) || !sub || (role === 'channel' && !values.channel)) {
    console.error(usage(config().JWT_MAX_LIFETIME_HOURS));
    return 2;
  }
  try {
    const token = await signToken(
      config(),
      { sub, role, team: values.team as string | undefined, channelId: values.channel as string | undefined },
      values.expires as string | undefined,
    );
    process.stdout.write(`${token}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof TokenLifetimeError)) throw err;
    console.error(`refused: ${err.message}`);
    return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`token: ${(err as Error).message ?? String(err)}`);
    process.exit(1);
  },
);
