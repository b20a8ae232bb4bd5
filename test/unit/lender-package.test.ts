import { LENDER_DATA_CATEGORIES } from '../../src/platform/domain/types';
import {
  buildLenderPackage,
  LENDER_PACKAGE_WHITELIST,
  WHITELISTED_FIELDS,
} from '../../src/modules/lead/rules/lender-package';

/**
 * 断直连: a lender package holds only whitelisted identity and application facts. These tests feed
 * the builder a source full of credit facts, under every key a careless caller might use, and fail
 * if any of them comes out.
 */

const APPLICATION = {
  name: '张三',
  idNumber: '110105199001011232',
  phone: '13810345678',
  residenceRegion: '110105',
  occupation: 'salaried',
  monthlyIncome: 20000,
  monthlyDebt: 3000,
  amountCny: 100000,
  termMonths: 24,
  loanPurpose: 'consumption',
  productId: 'prod-bank-a-std',
};

/** What must never reach a lender: credit information, pre-screen results and device facts. */
const CREDIT_FACTS = {
  tier: 'B',
  riskTier: 'B',
  risk_tier: 'B',
  score: 612,
  rulesFired: [{ code: 'stressed_dti_above_tier_a_max', detail: 'dti 0.51' }],
  prescreen: { tier: 'B', outcome: 'manual_review' },
  dti: 0.51,
  stressedDti: 0.51,
  fraudSignals: ['device_reused'],
  fraudFlags: 2,
  deviceLeads24h: 5,
  lenderApplications: 7,
  multiLenderCount: 7,
  blacklisted: true,
  blacklistHits: 1,
  requiredDocuments: ['income_proof'],
  regionMismatches: ['region_mismatch'],
  deviceId: 'dev-123',
  ip: '203.0.113.5',
  local: false,
  vulnerable: true,
  allInAprPct: 21.3,
};

const everything = { ...CREDIT_FACTS, ...APPLICATION };

test('with every category agreed, the package is exactly the whitelisted application facts', () => {
  const pkg = buildLenderPackage(everything, LENDER_DATA_CATEGORIES);
  expect(pkg).toEqual(APPLICATION);
});

test('no key off the whitelist, and no credit fact’s value, ever appears', () => {
  const subsets = [[], ...LENDER_DATA_CATEGORIES.map((c) => [c]), [...LENDER_DATA_CATEGORIES]];
  for (const categories of subsets) {
    const pkg = buildLenderPackage(everything, categories);
    for (const key of Object.keys(pkg)) expect(WHITELISTED_FIELDS).toContain(key);
    const text = JSON.stringify(pkg);
    for (const key of Object.keys(CREDIT_FACTS)) expect(text).not.toContain(`"${key}"`);
    for (const value of ['dev-123', '203.0.113.5', 'stressed_dti', 'device_reused', 'manual_review', 'income_proof'])
      expect(text).not.toContain(value);
  }
});

test('each category adds its own fields only', () => {
  expect(buildLenderPackage(everything, ['identity'])).toEqual({ name: '张三', idNumber: '110105199001011232' });
  expect(buildLenderPackage(everything, ['contact'])).toEqual({ phone: '13810345678' });
  expect(buildLenderPackage(everything, ['residence'])).toEqual({ residenceRegion: '110105' });
  expect(buildLenderPackage(everything, ['employment_income'])).toEqual({
    occupation: 'salaried',
    monthlyIncome: 20000,
    monthlyDebt: 3000,
  });
  expect(buildLenderPackage(everything, ['loan_request'])).toEqual({
    amountCny: 100000,
    termMonths: 24,
    loanPurpose: 'consumption',
    productId: 'prod-bank-a-std',
  });
});

test('an unknown category, or one smuggled through the prototype, adds nothing', () => {
  expect(buildLenderPackage(everything, ['credit_report', 'tier', 'toString', '__proto__', 'constructor'])).toEqual({});
});

test('a whitelisted key holding an object or array (a credit fact in disguise) is not copied', () => {
  const disguised = { name: { tier: 'C' }, idNumber: ['blacklisted'], monthlyIncome: NaN, phone: undefined };
  expect(buildLenderPackage(disguised, LENDER_DATA_CATEGORIES)).toEqual({});
});

test('the whitelist names every category a notice may name, and no credit term', () => {
  expect(Object.keys(LENDER_PACKAGE_WHITELIST).sort()).toEqual([...LENDER_DATA_CATEGORIES].sort());
  for (const field of WHITELISTED_FIELDS)
    expect(field).not.toMatch(/tier|score|dti|fraud|blacklist|lender|rule|device|ip$/i);
});
