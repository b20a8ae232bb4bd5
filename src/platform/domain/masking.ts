/**
 * Masking of personal data for roles that need to recognise a record but not read it.
 * Never throws: odd or short input is masked completely rather than shown.
 */
import { isMainlandMobile, normalizeMobile } from './phone';

const MASK = '*';

/** Keeps the family name's first character: '张三' → '张*', '欧阳娜娜' → '欧***'. */
export function maskName(name: string): string {
  // Array.from splits by code point, so rare characters outside the BMP count as one.
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return MASK.repeat(chars.length);
  return chars[0] + MASK.repeat(chars.length - 1);
}

/** Keeps the region (first 6) and the last 4: '110105199001011232' → '110105********1232'. */
export function maskIdNumber(idNumber: string): string {
  return keepEnds(idNumber.trim(), 6, 4);
}

/** Keeps the carrier prefix and the last 4: '13812345678' → '138****5678'. */
export function maskPhone(phone: string): string {
  const cleaned = isMainlandMobile(phone) ? normalizeMobile(phone) : phone.trim();
  return keepEnds(cleaned, 3, 4);
}

/** Shows `head` and `tail` characters only if at least as many stay hidden; otherwise hides all. */
function keepEnds(value: string, head: number, tail: number): string {
  const chars = Array.from(value);
  const hidden = chars.length - head - tail;
  if (hidden < Math.min(head, tail)) return MASK.repeat(chars.length);
  return chars.slice(0, head).join('') + MASK.repeat(hidden) + chars.slice(chars.length - tail).join('');
}
