import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { noticeContentHash, type NoticeRecipient } from './service/compliance-data';

/**
 * Demo reference data for a fresh machine: every row is flagged `demo` and named "[DEMO] …" so it
 * can never be mistaken for a real lender, product, channel or broker. Inserted once; re-running
 * changes nothing (ON CONFLICT DO NOTHING), so an operator's edits survive.
 */
export const DEMO_NOTICE_VERSION = '2026-01';
const DEMO_NOTICE_TEXT = [
  '[DEMO] 个人信息处理告知书 (示例文本, version 2026-01)',
  '我们收集: 姓名、身份证号、手机号、居住地区、收入与负债、设备与网络信息。',
  '用途: (1) credit_assessment 信用评估与反欺诈; (2) lender_sharing 向您选择的持牌金融机构提供必要信息; (3) marketing 营销联系。',
  '处理方式: 加密存储, 按角色脱敏, 访问留痕; 未转化线索在结案后90日删除。',
  '拒绝的后果: 拒绝(1)则无法为您评估和匹配产品; 拒绝(2)则无法提交给贷款机构; 拒绝(3)不影响服务。',
  '您可以随时撤回同意。',
].join('\n');

/**
 * The demo notice that asks consent to share with named lenders (PIPL art. 23, 29): for each, its
 * name and contact, the purpose, the method and the data categories, in the text and as
 * `recipients`. A `lender_sharing` consent names lenders under this version.
 */
export const DEMO_LENDER_NOTICE_VERSION = '2026-12';
const SHARED_WITH: [id: string, name: string, contact: string][] = [
  ['lender-bank-a', '[DEMO] 城市商业银行A', '客服 95500-0001, privacy@bank-a.example'],
  ['lender-cfc-b', '[DEMO] 消费金融公司B', '客服 400-000-0002, privacy@cfc-b.example'],
  ['lender-trust-c', '[DEMO] 信托公司C', '客服 400-000-0003, privacy@trust-c.example'],
  ['lender-mfc-e', '[DEMO] 小额贷款公司E', '客服 400-000-0005, privacy@mfc-e.example'],
];
const SHARING_PURPOSE = '审核您的借款申请并与您签订借款合同 (to assess your loan application and contract with you)';
const SHARING_METHOD =
  '经加密接口一次性传输, 仅传输下列数据 (sent once over an encrypted interface, only the data below)';
const DEMO_RECIPIENTS: NoticeRecipient[] = SHARED_WITH.map(([lenderId, lenderName, contact]) => ({
  lenderId,
  lenderName,
  contact,
  purpose: SHARING_PURPOSE,
  method: SHARING_METHOD,
  dataCategories: ['identity', 'contact', 'residence', 'employment_income', 'loan_request'],
}));
const DEMO_LENDER_NOTICE_TEXT = [
  '[DEMO] 个人信息处理告知书 (示例文本, version 2026-12)',
  DEMO_NOTICE_TEXT.split('\n').slice(1).join('\n'),
  '向出借机构提供 (lender_sharing), 每家机构单独同意:',
  ...SHARED_WITH.map(([, name, contact]) => `- ${name} (联系方式: ${contact})`),
  `目的: ${SHARING_PURPOSE}。方式: ${SHARING_METHOD}。`,
  '数据类别: 身份 (姓名、身份证号)、联系方式 (手机号)、居住地区、职业与您申报的收入和负债、借款申请 (金额、期限、用途、产品)。',
  '我们不向出借机构提供您的评分、风险等级、反欺诈结果、多头借贷或黑名单信息 (断直连)。',
].join('\n');

export async function seedDemoData(db: DataSource): Promise<void> {
  // One transaction, in this order: products name their lenders.
  await db.transaction(async (m) => {
    await seedConsentNotice(m);
    await seedLenders(m);
    await seedLenderNotice(m);
    await seedProducts(m);
    await seedChannels(m);
    await seedBrokers(m);
  });
}

async function seedConsentNotice(m: EntityManager): Promise<void> {
  await m.query(
    `INSERT INTO consent_notices (version, text, content_hash) VALUES ($1,$2,$3) ON CONFLICT (version) DO NOTHING`,
    [DEMO_NOTICE_VERSION, DEMO_NOTICE_TEXT, createHash('sha256').update(DEMO_NOTICE_TEXT).digest('hex')],
  );
}

/** After the lenders: the notice names them. */
async function seedLenderNotice(m: EntityManager): Promise<void> {
  await m.query(
    `INSERT INTO consent_notices (version, text, content_hash, recipients) VALUES ($1,$2,$3,$4) ON CONFLICT (version) DO NOTHING`,
    [
      DEMO_LENDER_NOTICE_VERSION,
      DEMO_LENDER_NOTICE_TEXT,
      noticeContentHash(DEMO_LENDER_NOTICE_TEXT, DEMO_RECIPIENTS),
      JSON.stringify(DEMO_RECIPIENTS),
    ],
  );
}

type DemoLender = [
  id: string,
  name: string,
  licenceNo: string,
  licensed: boolean,
  type: string,
  listedSince: string | null,
];
const DEMO_LENDERS: DemoLender[] = [
  ['lender-bank-a', '[DEMO] 城市商业银行A', 'DEMO-B0001', true, 'bank', '2025-10-01'],
  ['lender-cfc-b', '[DEMO] 消费金融公司B', 'DEMO-C0002', true, 'consumer_finance', '2025-10-01'],
  ['lender-trust-c', '[DEMO] 信托公司C', 'DEMO-T0003', true, 'trust', '2025-10-01'],
  ['lender-unlicensed-x', '[DEMO] 无牌机构X (never matched)', 'NONE', false, 'other', null],
  // Licensed and active, but its published partner list does not name us (金规〔2025〕9号): never matched.
  ['lender-bank-d', '[DEMO] 农村商业银行D (does not list us, never matched)', 'DEMO-B0004', true, 'bank', null],
  ['lender-mfc-e', '[DEMO] 小额贷款公司E', 'DEMO-M0005', true, 'microlender', '2026-01-01'],
];

async function seedLenders(m: EntityManager): Promise<void> {
  for (const [id, name, licenceNo, licensed, type, since] of DEMO_LENDERS) {
    await m.query(
      `INSERT INTO lenders (id, name, licence_no, licensed, active, type, partner_listed, partner_listed_since, partner_listing_reference, demo)
       VALUES ($1,$2,$3,$4,true,$5,$6,$7,$8,true) ON CONFLICT (id) DO NOTHING`,
      [id, name, licenceNo, licensed, type, since !== null, since, since ? `[DEMO] ${name} 合作机构名单` : null],
    );
  }
}

type DemoFee = { name: string; payee: string; basis: string; value: number };
interface DemoProduct {
  id: string;
  lenderId: string;
  name: string;
  repayment: 'equal_instalment' | 'equal_principal' | 'interest_only_bullet';
  nominalAprPct: number;
  fees: DemoFee[];
  amount: [number, number];
  term: [number, number];
  secured: boolean;
  disbursementDays: number;
  tiers: string[];
  provinces: string[] | null;
  allowsNonLocal: boolean;
  age: [number, number];
  commissionPct: number;
}

const guarantee = (monthlyPct: number): DemoFee => ({
  name: '担保费',
  payee: 'guarantor',
  basis: 'monthly_pct_of_principal',
  value: monthlyPct,
});
const product = (p: Partial<DemoProduct> & Pick<DemoProduct, 'id' | 'lenderId' | 'name' | 'nominalAprPct'>) => ({
  repayment: 'equal_instalment' as const,
  fees: [],
  amount: [1_000, 100_000] as [number, number],
  term: [3, 24] as [number, number],
  secured: false,
  disbursementDays: 1,
  tiers: ['A', 'B'],
  provinces: null,
  allowsNonLocal: true,
  age: [18, 60] as [number, number],
  commissionPct: 1,
  ...p,
});

const DEMO_PRODUCTS: DemoProduct[] = [
  product({
    id: 'prod-bank-a-prime',
    lenderId: 'lender-bank-a',
    name: '[DEMO] 优享贷',
    nominalAprPct: 12,
    amount: [10_000, 300_000],
    term: [6, 36],
    disbursementDays: 3,
    tiers: ['A'],
    allowsNonLocal: false,
    age: [22, 55],
    commissionPct: 1.0,
  }),
  product({
    id: 'prod-bank-a-secured',
    lenderId: 'lender-bank-a',
    name: '[DEMO] 房抵贷',
    nominalAprPct: 9.8,
    repayment: 'equal_principal',
    fees: [{ name: '房产评估费', payee: 'other', basis: 'flat_upfront', value: 800 }],
    amount: [50_000, 300_000],
    term: [12, 60],
    secured: true,
    disbursementDays: 10,
    provinces: ['11', '31', '44'],
    allowsNonLocal: false,
    age: [22, 60],
    commissionPct: 0.8,
  }),
  product({
    id: 'prod-cfc-b-flex',
    lenderId: 'lender-cfc-b',
    name: '[DEMO] 随心借',
    nominalAprPct: 18,
    fees: [guarantee(0.15)],
    amount: [1_000, 200_000],
    term: [3, 36],
    commissionPct: 2.5,
  }),
  product({
    id: 'prod-cfc-b-small',
    lenderId: 'lender-cfc-b',
    name: '[DEMO] 小额周转',
    nominalAprPct: 23.5,
    amount: [1_000, 50_000],
    term: [3, 12],
    tiers: ['B'],
    age: [20, 55],
    commissionPct: 3.0,
  }),
  // Nominal 18 %, but the guarantee and insurance fees put the all-in cost above 24 % for every case.
  product({
    id: 'prod-cfc-b-guaranteed',
    lenderId: 'lender-cfc-b',
    nominalAprPct: 18,
    name: '[DEMO] 担保增信贷 (nominal 18 %, fees push it above 24 %, never matched)',
    fees: [guarantee(0.3), { name: '保险费', payee: 'insurer', basis: 'upfront_pct_of_principal', value: 2 }],
    amount: [10_000, 200_000],
    term: [12, 36],
    commissionPct: 4.0,
  }),
  product({
    id: 'prod-trust-c-biz',
    lenderId: 'lender-trust-c',
    name: '[DEMO] 经营贷',
    nominalAprPct: 18,
    repayment: 'interest_only_bullet',
    amount: [50_000, 300_000],
    term: [12, 36],
    secured: true,
    disbursementDays: 7,
    age: [25, 60],
    commissionPct: 1.5,
  }),
  product({
    id: 'prod-trust-c-high',
    lenderId: 'lender-trust-c',
    nominalAprPct: 35.9,
    commissionPct: 6.0,
    name: '[DEMO] 高息快贷 (over the cap, never matched)',
  }),
  product({
    id: 'prod-unlicensed-x',
    lenderId: 'lender-unlicensed-x',
    name: '[DEMO] 无牌产品 (never matched)',
    nominalAprPct: 20,
    commissionPct: 8.0,
  }),
  product({
    id: 'prod-bank-d-offlist',
    lenderId: 'lender-bank-d',
    nominalAprPct: 6,
    name: '[DEMO] 名单外银行产品 (the lender does not list us, never matched)',
    amount: [10_000, 300_000],
    term: [6, 36],
    commissionPct: 1.0,
  }),
  // A monthly flat fee weighs more on a small loan: the all-in cost depends on the case's amount.
  product({
    id: 'prod-mfc-e-quick',
    lenderId: 'lender-mfc-e',
    name: '[DEMO] 小贷周转',
    nominalAprPct: 15.4,
    repayment: 'equal_principal',
    fees: [{ name: '账户管理费', payee: 'lender', basis: 'flat_monthly', value: 20 }],
    amount: [5_000, 50_000],
    term: [3, 12],
    commissionPct: 2.0,
  }),
];

async function seedProducts(m: EntityManager): Promise<void> {
  for (const p of DEMO_PRODUCTS) {
    await m.query(
      `INSERT INTO products (id, lender_id, name, repayment, nominal_apr_pct, fees, amount_min, amount_max, term_min_months,
         term_max_months, secured, disbursement_days, eligible_tiers, provinces, allows_non_local, age_min, age_max, commission_pct, active, demo)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,true,true) ON CONFLICT (id) DO NOTHING`,
      [
        ...[p.id, p.lenderId, p.name, p.repayment, p.nominalAprPct, JSON.stringify(p.fees), ...p.amount, ...p.term],
        ...[p.secured, p.disbursementDays, p.tiers, p.provinces, p.allowsNonLocal, ...p.age, p.commissionPct],
      ],
    );
  }
}

const DEMO_CHANNELS: [string, string, string, string, string, number, string][] = [
  ['ch-online-ads', '[DEMO] 信息流广告', 'online', '[DEMO] 广告代理甲', 'general', 180, 'east'],
  ['ch-partner-ref', '[DEMO] 合作方转介', 'intermediary', '[DEMO] 中介乙', 'premium', 260, 'east'],
  ['ch-branch', '[DEMO] 线下门店', 'offline', '[DEMO] 自营门店', 'premium', 90, 'west'],
  ['ch-social', '[DEMO] 社交裂变', 'social', '[DEMO] 社群运营丙', 'risk', 60, 'west'],
];

async function seedChannels(m: EntityManager): Promise<void> {
  for (const c of DEMO_CHANNELS) {
    await m.query(
      `INSERT INTO channels (id, name, type, partner, grade, cac_cny, team, demo) VALUES ($1,$2,$3,$4,$5,$6,$7,true) ON CONFLICT (id) DO NOTHING`,
      c,
    );
  }
  await m.query(
    `INSERT INTO channels (id, name, type, partner, grade, suspended, suspended_by, suspension_reason, cac_cny, team, demo)
     VALUES ('ch-suspended', '[DEMO] 已暂停渠道', 'online', '[DEMO] 广告代理丁', 'risk', true, 'review', 'demo: NPL above the suspension line', 150, 'east', true)
     ON CONFLICT (id) DO NOTHING`,
  );
}

const DEMO_BROKERS: [string, string, string][] = [
  ['b-east-1', '[DEMO] 王经理', 'east'],
  ['b-east-2', '[DEMO] 李经理', 'east'],
  ['b-west-1', '[DEMO] 赵经理', 'west'],
  ['b-west-2', '[DEMO] 陈经理', 'west'],
];

async function seedBrokers(m: EntityManager): Promise<void> {
  for (const b of DEMO_BROKERS) {
    await m.query(
      `INSERT INTO brokers (id, display_name, team, active, demo) VALUES ($1,$2,$3,true,true) ON CONFLICT (id) DO NOTHING`,
      b,
    );
  }
}
