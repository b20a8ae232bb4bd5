import { checkMarketingText } from '../../src/domain/marketing-text';

const COMPLIANT = '消费贷款，年化利率7.2%-18%（单利），以合同为准。贷款有风险，借款需谨慎。';
const codes = (text: string, opts?: Parameters<typeof checkMarketingText>[1]): string[] =>
  checkMarketingText(text, opts).violations.map((v) => v.code);

describe('compliant marketing text', () => {
  it('a text with the APR and the risk warning and no lure passes', () => {
    expect(checkMarketingText(COMPLIANT)).toEqual({ ok: true, violations: [] });
  });

  it('the APR may be given as "APR 18%" or "18% APR"', () => {
    const warning = '贷款有风险,借款需谨慎';
    expect(codes(`APR 18% ${warning}`)).toEqual([]);
    expect(codes(`apr up to 18.5% ${warning}`)).toEqual([]);
    expect(codes(`18％ APR ${warning}`)).toEqual([]);
  });

  it.each(['贷款有风险，借款需谨慎', '贷款有风险,借款需谨慎', '贷款有风险 ， 借款需谨慎', '贷款有风险借款需谨慎', '贷款有风险、借款需谨慎'])(
    'the risk warning is recognised as "%s"',
    (warning) => {
      expect(codes(`年化利率18% ${warning}`)).toEqual([]);
    },
  );
});

describe('promises of approval', () => {
  it.each(['秒批', '零门槛', '100%通过', '100％通过', '100 % 通过', '包过', '无视征信', '黑户可贷'])(
    '"%s" is a promise of approval',
    (phrase) => {
      const text = `${COMPLIANT}${phrase}`;
      const result = checkMarketingText(text);
      expect(result.ok).toBe(false);
      expect(result.violations).toEqual([
        { code: 'promise_of_approval', message: expect.stringContaining(phrase), start: COMPLIANT.length, end: text.length },
      ]);
    },
  );

  it('every occurrence is reported with its own position', () => {
    const text = `秒批！${COMPLIANT}秒批`;
    expect(checkMarketingText(text).violations.map((v) => [v.code, v.start, v.end])).toEqual([
      ['promise_of_approval', 0, 2],
      ['promise_of_approval', text.length - 2, text.length],
    ]);
  });
});

describe('lures the contract must back', () => {
  it('"低息" without backing is an unbacked low rate, positioned on the phrase', () => {
    const text = `超${'低息'}贷款，${COMPLIANT}`;
    expect(checkMarketingText(text).violations).toEqual([
      { code: 'unbacked_low_rate', message: expect.any(String), start: 1, end: 3 },
    ]);
  });

  it('"低息" is allowed when the contract backs the low rate', () => {
    expect(codes(`低息贷款，${COMPLIANT}`, { contractBacksLowRate: true })).toEqual([]);
  });

  it('"免费" and "免息" without backing are unbacked free claims', () => {
    expect(codes(`免费申请，首月免息。${COMPLIANT}`)).toEqual(['unbacked_free', 'unbacked_free']);
  });

  it('"免费" and "免息" are allowed when the contract backs them', () => {
    expect(codes(`免费申请，首月免息。${COMPLIANT}`, { contractBacksFree: true })).toEqual([]);
  });

  it('backing a low rate does not back a "free" claim', () => {
    expect(codes(`低息免费。${COMPLIANT}`, { contractBacksLowRate: true })).toEqual(['unbacked_free']);
  });
});

describe('missing disclosures', () => {
  it('a text without an annualised rate is refused, positioned at the end', () => {
    const text = '快速放款。贷款有风险，借款需谨慎。';
    expect(checkMarketingText(text).violations).toEqual([
      { code: 'apr_not_disclosed', message: expect.any(String), start: text.length, end: text.length },
    ]);
  });

  it('"年化" without a percentage nearby does not count as disclosure', () => {
    expect(codes('年化利率低，详情请咨询您的客户经理以及我们的官方网站和热线电话，利率为18%。贷款有风险，借款需谨慎')).toEqual([
      'apr_not_disclosed',
    ]);
  });

  it('a monthly rate is not an annualised rate', () => {
    expect(codes('月利率1.5%。贷款有风险，借款需谨慎')).toEqual(['apr_not_disclosed']);
  });

  it('a text without the risk warning is refused', () => {
    expect(codes('年化利率18%起')).toEqual(['risk_warning_missing']);
  });

  it('half a risk warning is not a risk warning', () => {
    expect(codes('年化利率18%。贷款有风险')).toEqual(['risk_warning_missing']);
    expect(codes('年化利率18%。借款需谨慎')).toEqual(['risk_warning_missing']);
  });

  it('an empty text misses both disclosures', () => {
    expect(checkMarketingText('')).toEqual({
      ok: false,
      violations: [
        { code: 'apr_not_disclosed', message: expect.any(String), start: 0, end: 0 },
        { code: 'risk_warning_missing', message: expect.any(String), start: 0, end: 0 },
      ],
    });
  });

  it('phrase violations come first in text order, then missing items', () => {
    expect(codes('零门槛，免费，秒批')).toEqual([
      'promise_of_approval',
      'unbacked_free',
      'promise_of_approval',
      'apr_not_disclosed',
      'risk_warning_missing',
    ]);
  });
});
