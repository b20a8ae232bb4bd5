import type { LenderDataCategory } from '../../../platform/domain/types';

/**
 * The lender package (断直连, 征信业务管理办法; PIPL art. 23, 29): what goes to a lender is built
 * from this whitelist only, field by field, for the data categories the customer agreed to share
 * with that lender. Whatever else the source holds (the tier, pre-screen rules, DTI, fraud signals,
 * multi-lender counts, blacklist hits, device and network facts) cannot reach the package: the
 * builder never copies a key that is not named here, and the type has no place for one.
 */
export interface LenderPackageFields {
  // identity
  name?: string;
  idNumber?: string;
  // contact
  phone?: string;
  // residence
  residenceRegion?: string;
  // employment_income: as the customer declared them
  occupation?: string;
  monthlyIncome?: number;
  monthlyDebt?: number;
  // loan_request
  amountCny?: number;
  termMonths?: number;
  loanPurpose?: string;
  productId?: string;
}

type Field = keyof LenderPackageFields;

/** The only fields a lender package may hold, by the category a consent notice names. */
export const LENDER_PACKAGE_WHITELIST: Readonly<Record<LenderDataCategory, readonly Field[]>> = {
  identity: ['name', 'idNumber'],
  contact: ['phone'],
  residence: ['residenceRegion'],
  employment_income: ['occupation', 'monthlyIncome', 'monthlyDebt'],
  loan_request: ['amountCny', 'termMonths', 'loanPurpose', 'productId'],
};

/** Every field any package may hold. */
export const WHITELISTED_FIELDS: readonly Field[] = Object.values(LENDER_PACKAGE_WHITELIST).flat();

/**
 * The package for the categories agreed: each whitelisted field of those categories that the source
 * holds as a string or a number, and nothing else. An unknown category adds nothing.
 */
export function buildLenderPackage(
  source: Readonly<Record<string, unknown>>,
  categories: readonly string[],
): LenderPackageFields {
  const out: Record<string, string | number> = {};
  for (const category of categories) {
    if (!Object.prototype.hasOwnProperty.call(LENDER_PACKAGE_WHITELIST, category)) continue;
    for (const field of LENDER_PACKAGE_WHITELIST[category as LenderDataCategory]) {
      const value = source[field];
      if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) out[field] = value;
    }
  }
  return out as LenderPackageFields;
}
