/**
 * The API's own words, one catalogue per language: problem titles by status, details by `code`, and
 * the project's validation messages by key. Zod's own messages come from zod's locales instead
 * (src/platform/http/language.ts). Nothing here carries personal data; a `{name}` in a detail is
 * filled from the error's safe details (a limit, a retry hint) when it has one of that name.
 */
export interface Catalogue {
  /** problem+json `title`, by HTTP status. */
  titles: Readonly<Record<number, string>>;
  /** The title of a status the table does not list. */
  otherTitle: string;
  /** problem+json `detail`, by code. */
  codes: Readonly<Record<string, string>>;
  /** The validation messages the schemas write themselves, by key (the English text is the schemas'). */
  fields: Readonly<Record<string, string>>;
  /** A field that is missing. */
  required: string;
}
