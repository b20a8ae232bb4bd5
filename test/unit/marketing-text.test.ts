import { checkMarketingText } from '../../src/modules/lead/rules/marketing-text';

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

  it.each([
    '贷款有风险，借款需谨慎',
    '贷款有风险,借款需谨慎',
    '贷款有风险 ， 借款需谨慎',
    '贷款有风险借款需谨慎',
    '贷款有风险、借款需谨慎',
  ])('the risk warning is recognised as "%s"', (warning) => {
    expect(codes(`年化利率18% ${warning}`)).toEqual([]);
  });
});

describe('promises of approval', () => {
  it.each(['秒批', '零门槛', '100%通过', '100％通过', '100 % 通过', '包过', '无视征信', '黑户可贷'])(
    '"%s" is a promise of approval',
    (phrase) => {
      const text = `${COMPLIANT}${phrase}`;
      const result = checkMarketingText(text);
      expect(result.ok).toBe(false);
      expect(result.violations).toEqual([
        {
          code: 'promise_of_approval',
          message: expect.stringContaining(phrase),
          start: COMPLIANT.length,
          end: text.length,
        },
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
    expect(
      codes('年化利率低，详情请咨询您的客户经理以及我们的官方网站和热线电话，利率为18%。贷款有风险，借款需谨慎'),
    ).toEqual(['apr_not_disclosed']);
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

describe('a text that promotes a product (PBoC announcement [2021] No. 3)', () => {
  const LENDER = '示例消费金融';
  const PROMOTION = `${LENDER}「随心贷」，年化利率（单利，含全部费用）7.2%-18%。贷款有风险，借款需谨慎。`;

  it('shows 年化利率 with a percentage and names the lender: it passes, and the result says both', () => {
    expect(checkMarketingText(PROMOTION, { lenderNames: [LENDER] })).toEqual({
      ok: true,
      violations: [],
      promotion: { annualisedRateShown: true, lendersNamed: [LENDER], lendersMissing: [] },
    });
  });

  it('a rate shown only as APR or 年化 … % is not shown as 年化利率', () => {
    const text = `${LENDER} APR 18%，年化 18%。贷款有风险，借款需谨慎。`;
    const result = checkMarketingText(text, { lenderNames: [LENDER] });
    expect(result.violations).toEqual([
      {
        code: 'annualised_rate_not_labelled',
        message: expect.stringContaining('年化利率'),
        start: text.length,
        end: text.length,
      },
    ]);
    expect(result.promotion).toEqual({ annualisedRateShown: false, lendersNamed: [LENDER], lendersMissing: [] });
  });

  it('a lender not named is reported by name; both failures are reported together', () => {
    const text = '随心贷，月利率1.5%。贷款有风险，借款需谨慎。';
    const result = checkMarketingText(text, { lenderNames: [LENDER, '示例银行'] });
    expect(result.violations.map((v) => [v.code, v.message.includes('示例') ? 'named' : '-'])).toEqual([
      ['apr_not_disclosed', '-'],
      ['annualised_rate_not_labelled', '-'],
      ['lender_not_named', 'named'],
      ['lender_not_named', 'named'],
    ]);
    expect(result.promotion).toEqual({
      annualisedRateShown: false,
      lendersNamed: [],
      lendersMissing: [LENDER, '示例银行'],
    });
  });

  it('a text that names no product is not held to these two rules, and carries no promotion result', () => {
    expect(checkMarketingText(`APR 18% 贷款有风险，借款需谨慎`)).toEqual({ ok: true, violations: [] });
  });
});

/**
 * The check as it was first written, with regular expressions: the meaning the scan must keep.
 * Small texts only; it backtracks quadratically over long runs of digits.
 */
function referenceCheck(text: string, opts: Parameters<typeof checkMarketingText>[1] = {}) {
  const violations: { code: string; message: string; start: number; end: number }[] = [];
  const all = (re: RegExp, code: string, message: (p: string) => string) => {
    for (const m of text.matchAll(re))
      violations.push({ code, message: message(m[0]), start: m.index, end: m.index + m[0].length });
  };
  all(
    /秒批|零门槛|100\s*[%％]\s*通过|包过|无视征信|黑户可贷/g,
    'promise_of_approval',
    (p) => `promises approval: "${p}"`,
  );
  if (!opts.contractBacksLowRate)
    all(/低息/g, 'unbacked_low_rate', (p) => `claims a low rate the contract does not back: "${p}"`);
  if (!opts.contractBacksFree)
    all(/免费|免息/g, 'unbacked_free', (p) => `claims something is free the contract does not back: "${p}"`);
  violations.sort((a, b) => a.start - b.start);
  const pct = String.raw`\d+(?:\.\d+)?\s*[%％]`;
  if (!new RegExp(String.raw`年化[\s\S]{0,20}?${pct}|APR[\s\S]{0,20}?${pct}|${pct}\s*APR`, 'i').test(text)) {
    violations.push({
      code: 'apr_not_disclosed',
      message: 'no annualised rate shown (年化 … % or APR … %)',
      start: text.length,
      end: text.length,
    });
  }
  if (!/贷款有风险[\s,，、;；.。!！]*借款需谨慎/.test(text)) {
    violations.push({
      code: 'risk_warning_missing',
      message: 'risk warning missing: 贷款有风险，借款需谨慎',
      start: text.length,
      end: text.length,
    });
  }
  return { ok: violations.length === 0, violations };
}

describe('the check means what the regular expressions meant', () => {
  // Pieces that make and break every rule: digits, signs, spaces of several kinds, the phrases and their halves.
  const PIECES = [
    '1',
    '0',
    '00',
    '100',
    '7.2',
    '.',
    '%',
    '％',
    ' ',
    '\u3000',
    '\u00a0',
    '\t',
    '\ufeff',
    '年化',
    '年',
    '化',
    'APR',
    'apr',
    'ApR',
    'AP',
    '秒批',
    '零门槛',
    '包过',
    '无视征信',
    '黑户可贷',
    '黑户可',
    '通过',
    '通',
    '低息',
    '免费',
    '免息',
    '免',
    '贷款有风险',
    '借款需谨慎',
    '借款',
    '，',
    ',',
    '、',
    '。',
    '!',
    'x',
    '利率',
    '起',
  ];
  // A fixed-seed generator: the same texts on every run.
  let seed = 20;
  const next = (below: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % below;
  };

  it('on 5,000 generated texts the scan reports exactly what the regular expressions report', () => {
    for (let k = 0; k < 5000; k++) {
      const text = Array.from({ length: 1 + next(30) }, () => PIECES[next(PIECES.length)]).join('');
      const opts = { contractBacksLowRate: next(4) === 0, contractBacksFree: next(4) === 0 };
      expect([text, checkMarketingText(text, opts)]).toEqual([text, referenceCheck(text, opts)]);
    }
  });

  it('a percentage may lie up to 20 characters after 年化 or APR, and not 21', () => {
    const warning = '贷款有风险，借款需谨慎';
    expect(codes(`年化${'x'.repeat(20)}18% ${warning}`)).toEqual([]);
    expect(codes(`年化${'x'.repeat(21)}18% ${warning}`)).toEqual(['apr_not_disclosed']);
    expect(codes(`APR${'x'.repeat(20)}1.5 ％ ${warning}`)).toEqual([]);
    expect(codes(`APR${'x'.repeat(21)}1.5 ％ ${warning}`)).toEqual(['apr_not_disclosed']);
  });

  it('a risk warning that begins inside a promise is still a risk warning', () => {
    expect(codes('年化18%，黑户可贷款有风险，借款需谨慎')).toEqual(['promise_of_approval']);
  });
});

describe('the check is linear in its input', () => {
  const WARNING = '贷款有风险，借款需谨慎';
  // Inputs that made the regular expressions backtrack over long runs, each of about n characters.
  const adversarial: Record<string, (n: number) => string> = {
    digits: (n) => '1'.repeat(n),
    'digits, a sign, then spaces': (n) => `${'1'.repeat(n / 2)}%${' '.repeat(n / 2 - 1)}`,
    'digits with a decimal point': (n) => `${'1'.repeat(n / 2)}.${'2'.repeat(n / 2 - 1)}`,
    'many 年化 and APR before digits': (n) => `${'年化APR'.repeat(n / 10)}${'9'.repeat(n / 2)}`,
    'hundreds without the sign': (n) => '100 '.repeat(n / 4),
    'half warnings with separators': (n) => `贷款有风险${'，'.repeat(n / 2)}`.repeat(2),
    'everything at once': (n) =>
      `${'年化'.repeat(n / 6)}${' '.repeat(21)}${'1'.repeat(n / 3)}%${'  '.repeat(n / 8)}APX 贷款有风险`,
  };
  const stepsFor = (text: string) => {
    const meter = { steps: 0 };
    checkMarketingText(text, {}, meter);
    return meter.steps;
  };

  it.each(Object.keys(adversarial))(
    '%s: 100,000 characters are checked, in work proportional to the length',
    (name) => {
      const make = adversarial[name];
      const text = make(100_000);
      expect(text.length).toBeGreaterThanOrEqual(90_000);
      expect(checkMarketingText(text)).toEqual({
        ok: false,
        violations: [
          expect.objectContaining({ code: 'apr_not_disclosed' }),
          expect.objectContaining({ code: 'risk_warning_missing' }),
        ],
      });
      const once = stepsFor(make(100_000));
      const twice = stepsFor(make(200_000));
      // Every character is read; doubling the text at most doubles the work (quadratic would quadruple it).
      expect(once).toBeGreaterThanOrEqual(100_000);
      expect(twice).toBeLessThanOrEqual(2.1 * once);
      expect(once).toBeLessThanOrEqual(60 * 100_000);
    },
  );

  it('a long adversarial text that does disclose is recognised: a rate after 99,990 digits, a warning after 50,000 separators', () => {
    const text = `${'9'.repeat(99_990)}% APR 贷款有风险${'，'.repeat(50_000)}借款需谨慎`;
    expect(checkMarketingText(text)).toEqual({ ok: true, violations: [] });
    const lures = `${'秒批低息免费'.repeat(20_000)}年化 18% ${WARNING}`;
    const result = checkMarketingText(lures);
    expect(result.violations).toHaveLength(60_000);
    expect(result.violations.slice(0, 3).map((v) => [v.code, v.start])).toEqual([
      ['promise_of_approval', 0],
      ['unbacked_low_rate', 2],
      ['unbacked_free', 4],
    ]);
  });
});
