import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { signToken } from '../../src/platform/http/auth';
import type { IntakeRequest } from '../../src/modules/lead/schemas/leads';
import { ensureSchedules, SCHEDULES } from '../../src/modules/maintenance/schedules';
import { startTemporalDevServer, type RunningDevServer } from '../../src/platform/temporal/dev-server';
import { aChannel, aLead, actors } from '../support/factories';
import { freePort } from '../support/stack-setup';
import { startStack, type TestStack } from '../support/stack';

/**
 * The managers' view, in a real browser: Debian's Chromium drives the Temporal Web UI of a dev
 * server, served (as in `npm run dev`) through the read-only gateway, whose codec endpoint is this
 * API. Only a manager signed in at /v1/session gets in; the UI then shows a case's decoded input,
 * summary and details, never the person, and offers no action on the case. The schedules the
 * worker creates are listed with their notes.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let temporal: RunningDevServer;
let stack: TestStack;
let browser: Browser;
let uiPort: number;
let apiUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the Web UI test needs Chromium at ${CHROMIUM}: apt-get install chromium (Debian), or set CHROMIUM_PATH`,
    );
  }
  const apiPort = await freePort();
  uiPort = await freePort();
  apiUrl = `http://localhost:${apiPort}`;
  temporal = await startTemporalDevServer({
    port: await freePort(),
    uiPort,
    codecEndpoint: `${apiUrl}/v1/codec`,
    webUiSignIn: {
      signInUrl: `${apiUrl}/v1/session`,
      sessionCheckUrl: `http://127.0.0.1:${apiPort}/v1/session/current`,
    },
  });
  stack = await startStack(
    { TEMPORAL_ADDRESS: temporal.address, WEB_UI_ORIGIN: `http://localhost:${uiPort}` },
    { apiPort },
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await temporal?.stop();
});

/** A browser context signed in at /v1/session with the actor's token, the way a manager does it. */
async function signedIn(actor = actors.manager()): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${apiUrl}/v1/session`);
  await page.fill('textarea[name=token]', await signToken(stack.cfg, actor));
  await Promise.all([
    page.waitForURL(`http://localhost:${uiPort}/**`, { waitUntil: 'commit' }),
    page.click('button[type=submit]'),
  ]);
  return { context, page };
}

async function aCase(): Promise<{ caseId: string; workflowId: string; lead: IntakeRequest }> {
  const lead = aLead({ consent: null });
  const res = await stack.api(actors.channel('ch-partner-ref'), 'POST', '/v1/leads', lead);
  expect(res.status).toBe(201);
  return { ...res.body, lead };
}

/** Fails if the page's HTML (iframe addresses included) or any frame's text names the applicant. */
async function expectNoPersonalData(page: Page, lead: IntakeRequest): Promise<void> {
  const seen = [
    await page.content(),
    ...(await Promise.all(
      page.frames().map((f) =>
        f
          .locator('body')
          .innerText()
          .catch(() => ''),
      ),
    )),
  ].join('\n');
  for (const value of [lead.applicant.name, lead.applicant.idNumber, lead.applicant.phone]) {
    expect(seen.includes(value)).toBe(false);
    expect(seen.includes(encodeURIComponent(value))).toBe(false);
  }
}

/**
 * The User Metadata tab: the UI renders the summary, the details and the current details each in
 * an iframe of its own (as Markdown), or says there are none. Waits up to 30 s for `ready`.
 */
async function userMetadata(
  page: Page,
  ready: (m: { summary: string; details: string; current: string; text: string }) => boolean,
) {
  await page.getByRole('tab', { name: 'User Metadata' }).click();
  const frameText = async (id: string) => {
    const frame = page.locator(`iframe#${id}`);
    if ((await frame.count()) === 0) return '';
    return (await page.frameLocator(`iframe#${id}`).locator('body').innerText()).replace(/\s+/g, ' ');
  };
  const until = Date.now() + 30_000;
  for (;;) {
    const m = {
      summary: await frameText('user-metadata-summary'),
      details: await frameText('user-metadata-details'),
      current: await frameText('user-metadata-current-details'),
      text: (await page.locator('body').innerText()).replace(/\s+/g, ' '),
    };
    if (ready(m) || Date.now() > until) return m;
    await page.waitForTimeout(500);
  }
}

/** The workflow page's main text, once the UI has rendered the Input panel and tried to decode it. */
async function workflowPage(page: Page, workflowId: string): Promise<string> {
  await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows/${workflowId}`);
  const until = Date.now() + 30_000;
  for (;;) {
    const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    if (text.includes('Input') && (text.includes('could not connect') || text.includes('"channelGrade"'))) return text;
    if (Date.now() > until) return text;
    await page.waitForTimeout(500);
  }
}

test('without signing in, the browser is sent to the sign-in page and sees nothing of the case; the UI API answers 401', async () => {
  const { workflowId, lead } = await aCase();
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  try {
    await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows/${workflowId}`);
    expect(page.url().startsWith(`${apiUrl}/v1/session?next=`)).toBe(true);
    const text = await page.locator('body').innerText();
    // This browser prefers English (Playwright's default en-US).
    expect(text).toContain('paste the access token an administrator issued you');
    expect(text).not.toContain('"channelGrade"');
    expect(text).not.toContain('线索案件');
    await expectNoPersonalData(page, lead);
    const api = await page.request.get(`http://localhost:${uiPort}/api/v1/namespaces/default/workflows/${workflowId}`);
    expect(api.status()).toBe(401);
    expect(await api.text()).not.toContain(workflowId);
  } finally {
    await page.close();
  }
});

test('the sign-in page speaks Chinese to a Chinese browser and shows a refused token on the page, not as JSON', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'zh-CN' });
  const page = await context.newPage();
  try {
    await page.goto(`${apiUrl}/v1/session`);
    expect(await page.locator('h1').innerText()).toBe('登录 Temporal 管理界面');
    await page.fill('textarea[name=token]', 'not-a-token');
    await page.click('button[type=submit]');
    await page.locator('.error').waitFor();
    expect(await page.locator('.error').innerText()).toBe('令牌无效：请检查是否完整粘贴。');
    expect(await page.locator('body').innerText()).not.toContain('"code"');
    // A risk officer's valid token is refused in words too.
    await page.fill('textarea[name=token]', await signToken(stack.cfg, actors.risk()));
    await page.click('button[type=submit]');
    await page.locator('.error').filter({ hasText: '只有经理和合规人员' }).waitFor();
  } finally {
    await context.close();
  }
});

test('a manager who signed in at /v1/session sees the decoded case input, summary and details in the Web UI, and never the person', async () => {
  const { caseId, workflowId, lead } = await aCase();
  const { context, page } = await signedIn();
  try {
    // The gateway's settings have the UI send the session cookie to the codec: no setup in the UI.
    const text = await workflowPage(page, workflowId);
    expect(text).toContain('"channelGrade"');
    expect(text).toContain(`"caseId": "${caseId}"`);
    const [audit] = await stack.db.query(
      `SELECT actor_role FROM audit_events WHERE action = 'codec.decoded' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.actor_role).toBe('manager');

    // The User Metadata tab: what the case is, and what it waits for, in words.
    const meta = await userMetadata(page, (m) => m.summary !== '' && m.current !== '');
    // In Chinese, with the due time in Beijing time and the province by name.
    expect(meta.summary).toContain(
      `线索案件 · ch-partner-ref · ${lead.request.amount} 元 / ${lead.request.termMonths} 个月 · 消费 · 北京市`,
    );
    expect(meta.details).toMatch(/年龄段 \d+-\d+ · 北京市 · 本地 · 渠道等级 优质/);
    expect(meta.current).toContain('阶段： 待同意');
    expect(meta.current).toMatch(/等待： 客户授权征信评估（期限 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 北京时间）/);
    expect(meta.current).toContain('经纪人： 无');
    await expectNoPersonalData(page, lead);
  } finally {
    await context.close();
  }
});

test("the Web UI offers a manager no action on a case, and the gateway refuses one sent to the UI's API; the case runs on", async () => {
  const { workflowId } = await aCase();
  const { context, page } = await signedIn();
  try {
    await workflowPage(page, workflowId);
    // This UI version greys out the actions its settings disable; the menu holding Terminate,
    // Reset, Signal and Update does not open.
    await page.getByRole('button', { name: 'More Actions' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Request Cancellation' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'More Actions' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'More Actions' }).click({ force: true });
    for (const action of ['Terminate', 'Reset', 'Send a Signal', 'Signal', 'Update', 'Start Workflow Like This One']) {
      expect({ action, shown: await page.getByRole('menuitem', { name: action }).count() }).toEqual({
        action,
        shown: 0,
      });
      expect({ action, shown: await page.getByRole('button', { name: action, exact: true }).count() }).toEqual({
        action,
        shown: 0,
      });
    }
    const settings = (await page.evaluate(async () => (await fetch('/api/v1/settings')).json())) as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({
      DisableWriteActions: true,
      BatchActionsDisabled: true,
      WorkflowTerminateDisabled: true,
      WorkflowSignalDisabled: true,
    });

    // The calls the buttons would make, sent from the signed-in page with the UI's CSRF token.
    const sent = await page.evaluate(async (id) => {
      const { cookie } = (globalThis as unknown as { document: { cookie: string } }).document;
      const csrf = /(?:^|; )_csrf=([^;]+)/.exec(cookie)?.[1] ?? '';
      const post = async (path: string, body: unknown) =>
        (
          await fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
            body: JSON.stringify(body),
          })
        ).status;
      const base = `/api/v1/namespaces/default/workflows/${encodeURIComponent(id)}`;
      return {
        terminate: await post(`${base}/terminate`, { reason: 'insider' }),
        signal: await post(`${base}/signal/withdrawConsent`, { input: null }),
        cancel: await post(`${base}/cancel`, {}),
        update: await post(`${base}/update/legalHold`, {}),
      };
    }, workflowId);
    expect(sent).toEqual({ terminate: 403, signal: 403, cancel: 403, update: 403 });
    const described = await stack.client.workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('RUNNING');
  } finally {
    await context.close();
  }
});

test('sign-out at /v1/session ends the Web UI session: the next page load goes back to the sign-in page', async () => {
  const { context, page } = await signedIn();
  try {
    await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows`);
    expect(page.url().startsWith(`http://localhost:${uiPort}/`)).toBe(true);
    await page.goto(`${apiUrl}/v1/session`);
    await Promise.all([
      page.waitForURL(`${apiUrl}/v1/session`),
      page.getByRole('button', { name: '退出登录' }).click(),
    ]);
    await page.waitForTimeout(2_500); // the gateway trusts a confirmed session for 2 s
    await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows`);
    expect(page.url().startsWith(`${apiUrl}/v1/session?next=`)).toBe(true);
  } finally {
    await context.close();
  }
});

/**
 * The workflow list's text for a List Filter query once it shows `expected`, or whatever it shows
 * after 45 s. Visibility lags a little behind the workflows, so the page is loaded again every 10 s.
 */
async function workflowList(page: Page, query: string, expected: string): Promise<string> {
  const url = `http://localhost:${uiPort}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
  const until = Date.now() + 45_000;
  let loadedAt = 0;
  for (;;) {
    if (Date.now() - loadedAt > 10_000) {
      await page.goto(url);
      loadedAt = Date.now();
    }
    await page.waitForTimeout(500);
    const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    if (text.includes(expected) || Date.now() > until) return text;
  }
}

test("a manager's List Filter on search attributes finds a channel's cases waiting for consent, and no other channel's", async () => {
  const [mine, other] = await Promise.all([aChannel(stack.db), aChannel(stack.db)]);
  const lead = async (channelId: string) =>
    (await stack.api(actors.channel(channelId), 'POST', '/v1/leads', aLead({ channelId, consent: null }))).body as {
      workflowId: string;
    };
  const [waiting, elsewhere] = [await lead(mine.id), await lead(other.id)];
  const { context, page } = await signedIn(actors.compliance());
  try {
    const text = await workflowList(
      page,
      `ChannelId = '${mine.id}' AND LeadStage = 'awaiting_consent'`,
      waiting.workflowId,
    );
    expect(text).toContain(waiting.workflowId);
    expect(text).toContain('leadCase');
    expect(text).not.toContain(elsewhere.workflowId);
    // The same filter for the other channel lists the other case only.
    const theirs = await workflowList(page, `ChannelId = '${other.id}'`, elsewhere.workflowId);
    expect(theirs).toContain(elsewhere.workflowId);
    expect(theirs).not.toContain(waiting.workflowId);
  } finally {
    await context.close();
  }
});

test('the Schedules page lists every schedule the worker creates, each with its note and overlap policy', async () => {
  await ensureSchedules(stack.client, stack.cfg.TEMPORAL_TASK_QUEUE);
  const { context, page } = await signedIn();
  try {
    await page.goto(`http://localhost:${uiPort}/namespaces/default/schedules`);
    const list = SCHEDULES.map((s) => s.scheduleId);
    const until = Date.now() + 30_000;
    let text = '';
    while (Date.now() < until) {
      text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
      if (list.every((id) => text.includes(id))) break;
      await page.waitForTimeout(500);
    }
    for (const s of SCHEDULES) {
      expect(text).toContain(s.scheduleId);
      expect(text).toContain(s.workflowType);
    }
    expect(text).toContain('Every 1 hour(s)'); // the digest
    expect(text).toContain('Every 1 day(s)');

    await page.goto(`http://localhost:${uiPort}/namespaces/default/schedules/retention-sweep`);
    const sweep = SCHEDULES.find((s) => s.scheduleId === 'retention-sweep')!;
    await page.getByText(sweep.note).waitFor({ timeout: 30_000 });
    const detail = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    expect(detail).toContain('Overlap Policy Skip');
    expect(detail).toContain('Catchup Window Policy 1 hour');
    expect(detail).toContain('retentionSweep');
  } finally {
    await context.close();
  }
});
