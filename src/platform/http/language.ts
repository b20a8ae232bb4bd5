import type { Request } from 'express';
import { z } from 'zod';
import type { Catalogue } from './messages/catalogue';
import { en } from './messages/en';
import { zhCN } from './messages/zh-CN';

/**
 * The language of the API's answers to one request: Chinese when `Accept-Language` prefers `zh`
 * (`zh`, `zh-CN`, `zh-Hans-CN`, … by q-value) over `en`, English otherwise, including when the
 * header is absent. Languages the API does not speak are skipped; `*` counts as English. A `code`
 * never changes with the language.
 */
export type Language = 'zh-CN' | 'en';

const CATALOGUES: Record<Language, Catalogue> = { 'zh-CN': zhCN, en };

export function preferredLanguage(header: string | undefined): Language {
  const ranges = (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: tag.trim().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0 && ['zh', 'en', '*'].includes(r.primary))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranges[0]?.primary === 'zh' ? 'zh-CN' : 'en';
}

export const languageOf = (req: Request): Language => preferredLanguage(req.header('accept-language'));

export const catalogueOf = (lang: Language): Catalogue => CATALOGUES[lang];

const ZOD_LOCALES: Record<Language, z.core.$ZodErrorMap> = {
  'zh-CN': z.locales.zhCN().localeError,
  en: z.locales.en().localeError,
};

/**
 * The error map to parse a request with, in its caller's language: zod's own locale, except that a
 * missing field reads "required" (必填) rather than "expected string, received undefined". Passed
 * per parse, never set globally: requests in different languages run at the same time. A message a
 * schema writes itself outranks it, and is translated afterwards by fieldMessage.
 */
export function zodErrorMap(lang: Language): z.core.$ZodErrorMap {
  const localeError = ZOD_LOCALES[lang];
  return (issue) =>
    issue.code === 'invalid_type' && issue.input === undefined ? CATALOGUES[lang].required : localeError(issue);
}

/** English field message → its key in the catalogues. */
const FIELD_KEYS = new Map(Object.entries(en.fields).map(([key, text]) => [text, key]));

/** A validation message in `lang`: a message of the project's schemas by its key, anything else (zod's, already in `lang`) as it is. */
export function fieldMessage(message: string, lang: Language): string {
  const key = FIELD_KEYS.get(message);
  return key === undefined ? message : (CATALOGUES[lang].fields[key] ?? message);
}

/**
 * A problem's detail in `lang`: the catalogue's words for its code, with `{name}` filled from the
 * error's safe details, or `fallback` (the English message the error was raised with) when the
 * catalogue has none or a placeholder has no value.
 */
export function problemDetail(
  code: string,
  fallback: string,
  lang: Language,
  details: Readonly<Record<string, unknown>> = {},
): string {
  const template = lang === 'en' ? undefined : CATALOGUES[lang].codes[code];
  if (template === undefined) return fallback;
  let complete = true;
  const text = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = details[name];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    complete = false;
    return '';
  });
  return complete ? text : fallback;
}

export const problemTitle = (status: number, lang: Language): string =>
  CATALOGUES[lang].titles[status] ?? CATALOGUES[lang].otherTitle;
