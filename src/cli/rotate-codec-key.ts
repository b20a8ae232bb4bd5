import { randomBytes } from 'node:crypto';
import { config } from '../platform/config';

/**
 * `npm run rotate:codec-key`: prints the settings for a new payload-codec key. Roll them out to every
 * worker and API (a rolling restart, no downtime): new payloads use the new key, and the old one,
 * moved into CODEC_OLD_KEYS, still decodes everything written before. Keep it there as long as
 * histories written with it are kept.
 */
function main() {
  const cfg = config();
  const id = `codec-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  const old = [cfg.CODEC_OLD_KEYS, `${cfg.CODEC_KEY_ID}:${cfg.CODEC_KEY}`].filter(Boolean).join(',');
  process.stdout.write(`CODEC_KEY_ID=${id}\nCODEC_KEY=${randomBytes(32).toString('base64')}\nCODEC_OLD_KEYS=${old}\n`);
}
main();
