/**
 * A refusal or failure the domain names: a stable `code` clients may branch on, a message fit to
 * show a person (never personal data) and optional safe `details` (a limit, a retry hint). It knows
 * nothing of HTTP, so services and rules stay free of how they are served: the API maps each code
 * to a status in one place (src/platform/http/errors.ts).
 */
export class DomainError extends Error {
  override name = 'DomainError';

  constructor(
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
