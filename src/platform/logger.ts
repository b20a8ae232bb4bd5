import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Anything that could hold personal data is redacted by path as a second line
 * of defence; the first is that the code never logs request bodies or identities.
 */
export function createLogger(
  name: string,
  level = process.env.LOG_LEVEL ?? 'info',
  pretty = process.env.LOG_PRETTY === '1',
): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        '*.applicant',
        '*.idNumber',
        '*.phone',
        '*.name',
        'applicant',
        'idNumber',
        'phone',
      ],
      censor: '[redacted]',
    },
    // `npm run dev` asks for readable lines; production keeps one JSON object per line.
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,name' },
          },
        }
      : {}),
  });
}
export type { Logger };
