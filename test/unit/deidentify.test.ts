import { ageBand, amountBand, regionPrefix } from '../../src/modules/lead/rules/deidentify';

describe('age bands kept after erasure', () => {
  it.each([
    [18, '18-21'],
    [21, '18-21'],
    [22, '22-29'],
    [29, '22-29'],
    [30, '30-39'],
    [39, '30-39'],
    [40, '40-49'],
    [49, '40-49'],
    [50, '50-59'],
    [59, '50-59'],
    [60, '60+'],
    [85, '60+'],
  ] as const)('age %i falls in band %s', (age, band) => {
    expect(ageBand(age)).toBe(band);
  });

  it('an age under 18 (refused at intake) still gets the lowest band rather than an error', () => {
    expect(ageBand(17)).toBe('18-21');
  });
});

describe('amount bands kept after erasure', () => {
  it.each([
    [0, '<50k'],
    [49_999, '<50k'],
    [50_000, '50k-100k'],
    [99_999.99, '50k-100k'],
    [100_000, '100k-200k'],
    [200_000, '200k-300k'],
    [299_999, '200k-300k'],
    [300_000, '>=300k'],
    [1_000_000, '>=300k'],
  ] as const)('%d CNY falls in band %s', (amount, band) => {
    expect(amountBand(amount)).toBe(band);
  });
});

describe('region prefix kept after erasure', () => {
  it('keeps the city and drops the county', () => {
    expect(regionPrefix('110105')).toBe('1101');
  });

  it('says unknown for an unreadable code', () => {
    expect(regionPrefix('11')).toBe('unknown');
    expect(regionPrefix('')).toBe('unknown');
    expect(regionPrefix('ab0105')).toBe('unknown');
  });
});
