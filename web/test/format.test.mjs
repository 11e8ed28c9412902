// Dates in Paris time and sizes as the guides show them, whatever the machine's time zone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateTime, day, parisDay, parisMidnight, personName, plural, size } from '../src/js/format.js';

test('dates and times are those of Paris', () => {
  assert.equal(dateTime('2021-06-09T18:10:00Z'), '09/06/2021 à 20:10');
  assert.equal(dateTime('2021-12-31T23:30:00Z'), '01/01/2022 à 00:30');
  assert.equal(day('2021-06-09T22:30:00Z'), '10/06/2021');
  assert.equal(dateTime(null), '');
});

test("a day's midnight in Paris carries the offset of that day", () => {
  assert.equal(parisMidnight('2026-01-15'), '2026-01-15T00:00:00+01:00');
  assert.equal(parisMidnight('2026-07-01'), '2026-07-01T00:00:00+02:00');
  // Summer time starts at 2:00 on 29 March 2026: midnight is still winter time.
  assert.equal(parisMidnight('2026-03-29'), '2026-03-29T00:00:00+01:00');
  assert.equal(parisMidnight('29/03/2026'), null);
  assert.equal(parisDay('2026-03-28T23:30:00Z'), '2026-03-29');
});

test('sizes read in octets, kilo-octets and mega-octets', () => {
  assert.equal(size(988), '988 o');
  assert.equal(size(3410), '3,33 ko');
  assert.equal(size(96149), '93,9 ko');
  assert.equal(size(5 * 1024 * 1024), '5 Mo');
});

test('the person concerned reads NOM Prénom', () => {
  assert.equal(personName({ lastName: 'Lefèvre-Œuvray', firstName: 'Élodie' }), 'LEFÈVRE-ŒUVRAY Élodie');
  assert.equal(personName(null), '');
  assert.equal(plural(1, 'télédossier'), '1 télédossier');
  assert.equal(plural(2, 'télédossier'), '2 télédossiers');
});
