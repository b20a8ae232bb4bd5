import { ageOn, checkDigitFor, parseIdNumber, validateIdNumber } from '../../src/modules/lead/rules/id-number';
import { beijing, validIdNumber, withWrongCheckDigit } from './factories';

describe('validating a mainland ID number', () => {
  it('accepts the textbook example 110105199001011232', () => {
    expect(checkDigitFor('11010519900101123')).toBe('2');
    expect(validateIdNumber('110105199001011232')).toEqual({ ok: true });
  });

  it('accepts a number built with checkDigitFor', () => {
    expect(validateIdNumber(validIdNumber({ region: '440301', birth: '19851231', sequence: '456' }))).toEqual({
      ok: true,
    });
  });

  it('accepts a check character X, in upper or lower case', () => {
    const first17 = findFirst17WithCheck('X');
    expect(validateIdNumber(`${first17}X`)).toEqual({ ok: true });
    expect(validateIdNumber(`${first17}x`)).toEqual({ ok: true });
  });

  it('an ID number with a wrong check digit is refused', () => {
    expect(validateIdNumber(withWrongCheckDigit(validIdNumber()))).toEqual({ ok: false, reason: 'check_digit' });
  });

  it.each([
    ['too short', '11010519900101123'],
    ['too long', '1101051990010112322'],
    ['a letter inside', '11010519900A011232'],
    ['X anywhere but last', 'X10105199001011232'],
    ['spaces', '110105 19900101123'],
    ['empty', ''],
  ])('an ID number with the wrong shape (%s) is refused as format', (_case, id) => {
    expect(validateIdNumber(id)).toEqual({ ok: false, reason: 'format' });
  });

  it.each(['00', '10', '16', '20', '30', '38', '47', '55', '60', '66', '70', '80', '83', '99'])(
    'an ID number from non-existent province %s is refused as region',
    (province) => {
      expect(validateIdNumber(validIdNumber({ region: `${province}0101` }))).toEqual({ ok: false, reason: 'region' });
    },
  );

  it.each(['11', '15', '21', '23', '31', '37', '41', '46', '50', '54', '61', '65', '71', '81', '82'])(
    'an ID number from province %s is accepted',
    (province) => {
      expect(validateIdNumber(validIdNumber({ region: `${province}0101` }))).toEqual({ ok: true });
    },
  );

  it.each([
    ['30 February', '19900230'],
    ['month 13', '19901301'],
    ['day 0', '19900100'],
    ['29 February in a non-leap year', '19900229'],
    ['29 February 1900 (not a leap year)', '19000229'],
    ['a birth before 1900', '18991231'],
  ])('an ID number with an impossible birth date (%s) is refused', (_case, birth) => {
    expect(validateIdNumber(validIdNumber({ birth }))).toEqual({ ok: false, reason: 'birth_date' });
  });

  it('an ID number born on 29 February of a leap year is accepted', () => {
    expect(validateIdNumber(validIdNumber({ birth: '20000229' }))).toEqual({ ok: true });
    expect(validateIdNumber(validIdNumber({ birth: '19000101' }))).toEqual({ ok: true });
  });

  it('checkDigitFor refuses anything but 17 digits', () => {
    expect(() => checkDigitFor('1234')).toThrow(RangeError);
    expect(() => checkDigitFor('1101051990010112X')).toThrow(RangeError);
  });
});

describe('reading facts from an ID number', () => {
  it('reads region, province, city, birth date and sex (odd 17th digit = male)', () => {
    expect(parseIdNumber(validIdNumber({ region: '440305', birth: '19851231', sequence: '451' }))).toEqual({
      regionCode: '440305',
      provinceCode: '44',
      cityCode: '4403',
      birthDate: '1985-12-31',
      sex: 'male',
    });
  });

  it('an even 17th digit means female', () => {
    expect(parseIdNumber(validIdNumber({ sequence: '122' })).sex).toBe('female');
  });

  it('refuses to parse an invalid number and says why', () => {
    expect(() => parseIdNumber(withWrongCheckDigit(validIdNumber()))).toThrow(/check_digit/);
  });
});

describe('age on a date', () => {
  it('counts full years: the day before the birthday is still the younger age', () => {
    expect(ageOn('2008-06-15', beijing('2026-06-14T12:00:00'))).toBe(17);
    expect(ageOn('2008-06-15', beijing('2026-06-15T00:00:00'))).toBe(18);
  });

  it('reads the birthday on the Shanghai calendar, not the UTC one', () => {
    // 16:30 UTC on 14 June is already 00:30 on 15 June in Shanghai.
    const at = new Date('2026-06-14T16:30:00Z');
    expect(ageOn('2008-06-15', at)).toBe(18);
    expect(ageOn('2008-06-15', at, 'UTC')).toBe(17);
  });

  it('someone born on 29 February turns a year older on 1 March in a non-leap year', () => {
    expect(ageOn('2000-02-29', beijing('2018-02-28T12:00:00'))).toBe(17);
    expect(ageOn('2000-02-29', beijing('2018-03-01T12:00:00'))).toBe(18);
    expect(ageOn('2000-02-29', beijing('2020-02-29T12:00:00'))).toBe(20);
  });

  it('refuses a birth date that is not YYYY-MM-DD', () => {
    expect(() => ageOn('19900101', beijing('2026-01-01T00:00:00'))).toThrow(RangeError);
  });
});

/** Some real first 17 digits whose check character is `check`, found by varying the sequence. */
function findFirst17WithCheck(check: string): string {
  for (let sequence = 100; sequence < 1000; sequence++) {
    const first17 = `11010519900101${sequence}`;
    if (checkDigitFor(first17) === check) return first17;
  }
  throw new Error(`no sequence gives check ${check}`);
}
