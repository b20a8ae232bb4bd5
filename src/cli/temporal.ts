import { spawn } from 'node:child_process';
import { config, type Config } from '../platform/config';
import { temporalCliPath } from '../platform/temporal/binaries';

/**
 * `npm run temporal -- <args>`: the project's pinned Temporal CLI, pointed at the configured
 * server and namespace. With CODEC_TOKEN set (a manager's or compliance officer's token from
 * `npm run token`), it also decodes payloads through the API's codec endpoint, as the Web UI does.
 * Flags given on the command line win over these settings.
 */
export function temporalCliEnv(
  cfg: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'API_PORT'>,
  given: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...given,
    TEMPORAL_ADDRESS: given.TEMPORAL_ADDRESS ?? cfg.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: given.TEMPORAL_NAMESPACE ?? cfg.TEMPORAL_NAMESPACE,
  };
  if (given.CODEC_TOKEN) {
    env.TEMPORAL_CODEC_ENDPOINT ??= `http://localhost:${cfg.API_PORT}/v1/codec`;
    env.TEMPORAL_CODEC_AUTH ??= `Bearer ${given.CODEC_TOKEN}`;
  }
  delete env.CODEC_TOKEN;
  return env;
}

function main(): void {
  const env = temporalCliEnv(config(), process.env);
  const child = spawn(temporalCliPath(), process.argv.slice(2), { env, stdio: 'inherit' });
  child.on('error', (err) => {
    console.error(`could not run the Temporal CLI: ${err.message} (npm install puts it in .tools/temporal)`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

if (require.main === module) main();
