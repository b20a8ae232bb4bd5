import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { MANAGER_VIEWS, viewUrl } from './manager-views';

/**
 * The Web UI's sign-in page: Chinese unless the browser prefers English, and a refused sign-in
 * shown on the page in words, not as the API's JSON. Carries no script; its one style block is
 * allowed by hash in the page's Content-Security-Policy.
 */
export type PageLocale = 'zh-CN' | 'en';

export const pageLocale = (req: Request): PageLocale =>
  (req.acceptsLanguages('zh-CN', 'zh', 'en') || 'zh-CN').startsWith('en') ? 'en' : 'zh-CN';

const STYLE =
  'body{font-family:system-ui,"PingFang SC","Microsoft YaHei","WenQuanYi Zen Hei",sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}' +
  'h1{font-size:1.4rem}textarea{width:100%;font-family:monospace}button{margin-top:.5rem;padding:.4rem 1.2rem}' +
  '.error{background:#fef2f2;border:1px solid #fca5a5;padding:.6rem;border-radius:4px}.hint{color:#6b7280;font-size:.9rem}';
export const SIGN_IN_STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

const WORDS = {
  'zh-CN': {
    title: '登录 Temporal 管理界面',
    intro: '经理和合规人员使用：粘贴由管理员签发的访问令牌。',
    token: '访问令牌',
    signIn: '登录',
    signedInAs: (sub: string, role: string) => `当前已登录：${sub}（${role}）。`,
    signOut: '退出登录',
    hint: '本地开发可用 npm run token -- --role manager --sub m1 生成令牌。',
    views: '常用视图',
  },
  en: {
    title: 'Sign in to the Temporal Web UI',
    intro: 'For managers and compliance officers: paste the access token an administrator issued you.',
    token: 'Access token',
    signIn: 'Sign in',
    signedInAs: (sub: string, role: string) => `Signed in as ${sub} (${role}).`,
    signOut: 'Sign out',
    hint: 'In local development, npm run token -- --role manager --sub m1 makes one.',
    views: 'Ready views',
  },
};

/** Why a sign-in was refused, by the refusal's code, in words a manager acts on. Never the token. */
const REFUSALS: Record<PageLocale, Record<string, string>> = {
  'zh-CN': {
    token_expired: '令牌已过期，请向管理员重新申请。',
    invalid_token: '令牌无效：请检查是否完整粘贴。',
    unauthenticated: '令牌无效：请检查是否完整粘贴。',
    forbidden: '只有经理和合规人员可以登录管理界面。',
    cross_site_sign_in: '请从本登录页面登录。',
    default: '登录失败，请重试。',
  },
  en: {
    token_expired: 'The token has expired: ask an administrator for a new one.',
    invalid_token: 'The token is not valid: check that you pasted all of it.',
    unauthenticated: 'The token is not valid: check that you pasted all of it.',
    forbidden: 'Only managers and compliance officers may sign in to the Web UI.',
    cross_site_sign_in: 'Sign in from this page.',
    default: 'Signing in failed; try again.',
  },
};

export const refusalText = (code: string, locale: PageLocale): string =>
  REFUSALS[locale][code] ?? REFUSALS[locale].default!;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The ready views, for a signed-in manager: links that open the Web UI already filtered. */
function viewList(locale: PageLocale, links: { uiOrigin: string; namespace: string }): string {
  const items = MANAGER_VIEWS.map(
    (v) =>
      `<li><a href="${escape(viewUrl(links.uiOrigin, links.namespace, v.query))}">${escape(v.label[locale])}</a></li>`,
  );
  return `<h2>${WORDS[locale].views}</h2><ul>${items.join('')}</ul>`;
}

export function signInPage(o: {
  locale: PageLocale;
  next: string;
  signedIn?: { sub: string; role: string };
  refusal?: string;
  links?: { uiOrigin: string; namespace: string };
}): string {
  const w = WORDS[o.locale];
  return [
    `<!doctype html><html lang="${o.locale}"><meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${w.title}</title><style>${STYLE}</style>`,
    `<h1>${w.title}</h1>`,
    o.signedIn
      ? `<form method="post" action="/v1/session/sign-out"><p>${escape(w.signedInAs(o.signedIn.sub, o.signedIn.role))} <button type="submit">${w.signOut}</button></p></form>`
      : '',
    o.signedIn && o.links ? viewList(o.locale, o.links) : '',
    o.refusal ? `<p class="error" role="alert">${escape(o.refusal)}</p>` : '',
    `<p>${w.intro}</p>`,
    `<form method="post" action="/v1/session"><label for="token">${w.token}</label>`,
    `<textarea id="token" name="token" rows="4" required autofocus></textarea>`,
    `<input type="hidden" name="next" value="${escape(o.next)}"><button type="submit">${w.signIn}</button></form>`,
    `<p class="hint">${w.hint}</p></html>`,
  ].join('');
}
