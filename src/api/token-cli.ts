import { parseArgs } from 'node:util';
import { config } from '../config';
import { ROLES, type Role } from '../domain/types';
import { signToken } from './auth';

/** `npm run token -- --role manager --sub m1 [--team east] [--channel ch-online-ads] [--expires 8h]` */
async function main() {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, sub: { type: 'string' }, team: { type: 'string' }, channel: { type: 'string' }, expires: { type: 'string', default: '8h' } },
  });
  if (!values.role || !ROLES.includes(values.role as Role) || !values.sub) {
    console.error(`usage: npm run token -- --role <${ROLES.join('|')}> --sub <id> [--team T] [--channel CH] [--expires 8h]`);
    process.exit(2);
  }
  const token = await signToken(config(), { sub: values.sub, role: values.role as Role, team: values.team, channelId: values.channel }, values.expires);
  process.stdout.write(`${token}\n`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
