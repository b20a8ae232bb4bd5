import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';

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

export async function seedDemoData(db: DataSource): Promise<void> {
  // One transaction, in this order: products name their lenders.
  await db.transaction(async (m) => {
    await seedConsentNotice(m);
    await seedLenders(m);
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

const DEMO_LENDERS: [string, string, string, boolean, boolean][] = [
  ['lender-bank-a', '[DEMO] 城市商业银行A', 'DEMO-B0001', true, true],
  ['lender-cfc-b', '[DEMO] 消费金融公司B', 'DEMO-C0002', true, true],
  ['lender-trust-c', '[DEMO] 信托公司C', 'DEMO-T0003', true, true],
  ['lender-unlicensed-x', '[DEMO] 无牌机构X (never matched)', 'NONE', false, true],
];

async function seedLenders(m: EntityManager): Promise<void> {
  for (const l of DEMO_LENDERS) {
    await m.query(
      `INSERT INTO lenders (id, name, licence_no, licensed, active, demo) VALUES ($1,$2,$3,$4,$5,true) ON CONFLICT (id) DO NOTHING`,
      l,
    );
  }
}

// id, lender, name, aprMin, aprMax, amountMin, amountMax, termMin, termMax, secured, days, tiers, provinces, nonLocal, ageMin, ageMax, commission
const DEMO_PRODUCTS: [
  string,
  string,
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  boolean,
  number,
  string[],
  string[] | null,
  boolean,
  number,
  number,
  number,
][] = [
  [
    'prod-bank-a-prime',
    'lender-bank-a',
    '[DEMO] 优享贷',
    7.2,
    12,
    10_000,
    300_000,
    6,
    36,
    false,
    3,
    ['A'],
    null,
    false,
    22,
    55,
    1.0,
  ],
  [
    'prod-bank-a-secured',
    'lender-bank-a',
    '[DEMO] 房抵贷',
    5.5,
    9.8,
    50_000,
    300_000,
    12,
    60,
    true,
    10,
    ['A', 'B'],
    ['11', '31', '44'],
    false,
    22,
    60,
    0.8,
  ],
  [
    'prod-cfc-b-flex',
    'lender-cfc-b',
    '[DEMO] 随心借',
    12,
    23.9,
    1_000,
    200_000,
    3,
    36,
    false,
    1,
    ['A', 'B'],
    null,
    true,
    18,
    60,
    2.5,
  ],
  [
    'prod-cfc-b-small',
    'lender-cfc-b',
    '[DEMO] 小额周转',
    15,
    23.5,
    1_000,
    50_000,
    3,
    12,
    false,
    1,
    ['B'],
    null,
    true,
    20,
    55,
    3.0,
  ],
  [
    'prod-trust-c-biz',
    'lender-trust-c',
    '[DEMO] 经营贷',
    8,
    18,
    50_000,
    300_000,
    12,
    36,
    true,
    7,
    ['A', 'B'],
    null,
    true,
    25,
    60,
    1.5,
  ],
  [
    'prod-trust-c-high',
    'lender-trust-c',
    '[DEMO] 高息快贷 (over the APR cap, never matched)',
    20,
    35.9,
    1_000,
    100_000,
    3,
    24,
    false,
    1,
    ['A', 'B'],
    null,
    true,
    18,
    60,
    6.0,
  ],
  [
    'prod-unlicensed-x',
    'lender-unlicensed-x',
    '[DEMO] 无牌产品 (never matched)',
    10,
    20,
    1_000,
    100_000,
    3,
    24,
    false,
    1,
    ['A', 'B'],
    null,
    true,
    18,
    60,
    8.0,
  ],
];

async function seedProducts(m: EntityManager): Promise<void> {
  for (const p of DEMO_PRODUCTS) {
    await m.query(
      `INSERT INTO products (id, lender_id, name, apr_min_pct, apr_max_pct, amount_min, amount_max, term_min_months, term_max_months, secured,
         disbursement_days, eligible_tiers, provinces, allows_non_local, age_min, age_max, commission_pct, active, demo)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,true,true) ON CONFLICT (id) DO NOTHING`,
      p,
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
