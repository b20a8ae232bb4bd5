import { maskIdNumber, maskName, maskPhone } from '../../src/platform/domain/masking';
import { validIdNumber } from './factories';

describe('masking a name', () => {
  it('keeps only the first character of a two-character name', () => {
    expect(maskName('张三')).toBe('张*');
  });

  it('keeps only the first character of a compound surname name', () => {
    expect(maskName('欧阳娜娜')).toBe('欧***');
  });

  it('hides a one-character name completely and leaves an empty name empty', () => {
    expect(maskName('张')).toBe('*');
    expect(maskName('')).toBe('');
    expect(maskName('   ')).toBe('');
  });

  it('counts a character outside the basic plane as one', () => {
    expect(maskName('𠮷田')).toBe('𠮷*');
  });
});

describe('masking an ID number', () => {
  it('keeps the region and the last four', () => {
    expect(maskIdNumber('110105199001011232')).toBe('110105********1232');
    expect(maskIdNumber(validIdNumber())).toMatch(/^110105\*{8}\d{3}[\dX]$/);
  });

  it('masks an old 15-digit number the same way', () => {
    expect(maskIdNumber('110105900101123')).toBe('110105*****1123');
  });

  it('hides a short or odd value completely instead of throwing', () => {
    expect(maskIdNumber('12345')).toBe('*****');
    expect(maskIdNumber('')).toBe('');
  });
});

describe('masking a phone number', () => {
  it('keeps the first three and the last four', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
  });

  it('normalises a formatted mobile first', () => {
    expect(maskPhone('+86 138-1234-5678')).toBe('138****5678');
  });

  it('hides a short value completely instead of throwing', () => {
    expect(maskPhone('12345')).toBe('*****');
    expect(maskPhone('')).toBe('');
  });
});
