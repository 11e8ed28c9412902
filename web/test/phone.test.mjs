// The account form's phone rule matches the hub's: national French forms are accepted and sent
// in E.164, invalid numbers are refused before the request.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkPhone } from '../src/js/pages/account-form.js';

test('French numbers as people write them become E.164', () => {
  for (const written of ['06 12 34 56 78', '0612345678', '+33 6 12 34 56 78', '06.12.34.56.78', '0033612345678']) {
    assert.deepEqual(checkPhone(written), { value: '+33612345678' }, written);
  }
  assert.deepEqual(checkPhone('0692 12 34 56'), { value: '+262692123456' });
  assert.deepEqual(checkPhone('+4915112345678'), { value: '+4915112345678' });
});

test('clearly invalid numbers are refused', () => {
  for (const wrong of ['06', '+330612345678', '061234567', '06 12 34 56 7a', '+336123456789', 'abc', '']) {
    assert.ok(checkPhone(wrong).error, wrong);
  }
});
