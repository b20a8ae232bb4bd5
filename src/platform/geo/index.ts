/**
 * Regions from the data itself (属地经营): a mobile number's from its segment, an IP address's from an
 * IP database, both as GB/T 2260 codes. Pure lookups in data shipped inside npm packages: no network.
 * Heavy to load (see each module), so the API loads them at start and the workflow never does.
 */
import { openIpDatabase } from './ip-region';
import { phoneSegmentPlace } from './phone-region';

export { ipRegion } from './ip-region';
export { phoneRegion } from './phone-region';

/** Loads the phone-segment data and opens the IP database (call once at start). */
export function warmRegionLookups(): void {
  phoneSegmentPlace('13800100000');
  openIpDatabase();
}
