import { isMainlandMobile, normalizeMobile } from '../../src/platform/domain/phone';

describe('mainland mobile numbers', () => {
  it.each(['13812345678', '19912345678', '15000000000', '17712345678'])('%s is a mainland mobile', (phone) => {
    expect(isMainlandMobile(phone)).toBe(true);
  });

  it.each([
    ['second digit 2', '12812345678'],
    ['second digit 0', '10812345678'],
    ['not starting with 1', '23812345678'],
    ['10 digits', '1381234567'],
    ['12 digits', '138123456789'],
    ['a landline', '01012345678'],
    ['letters', '1381234567a'],
    ['empty', ''],
  ])('a number with %s is not a mainland mobile', (_case, phone) => {
    expect(isMainlandMobile(phone)).toBe(false);
  });

  it.each(['+86 138 1234 5678', '+8613812345678', '8613812345678', '138-1234-5678', '0086 138-1234-5678'])(
    'tolerates the country code and separators: %s',
    (phone) => {
      expect(normalizeMobile(phone)).toBe('13812345678');
      expect(isMainlandMobile(phone)).toBe(true);
    },
  );

  it('does not strip 86 when what follows is not a mobile', () => {
    expect(normalizeMobile('8612345')).toBe('8612345');
    expect(isMainlandMobile('+86 128 1234 5678')).toBe(false);
  });
});
