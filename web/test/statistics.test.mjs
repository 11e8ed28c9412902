import assert from 'node:assert/strict';
import { test } from 'node:test';

import { byTab, delay, monthLabel } from '../src/js/pages/statistics.js';

test('delays read as estimates in the largest sensible units', () => {
  assert.equal(delay(null), '—');
  assert.equal(delay(30), '≈ 30 s');
  assert.equal(delay(3 * 60), '≈ 3 min');
  assert.equal(delay(3 * 3600 + 10 * 60), '≈ 3 h 10 min');
  assert.equal(delay(5 * 3600), '≈ 5 h');
  assert.equal(delay(50 * 3600), '≈ 2 j 2 h');
  assert.equal(delay(3 * 86400), '≈ 3 j');
});

test('months read in French', () => {
  assert.equal(monthLabel('2026-03'), 'mars 2026');
  assert.equal(monthLabel('2025-12'), 'décembre 2025');
});

test('statuses count under their inbox tab, archived dossiers apart', () => {
  const counts = byTab({ byStatus: { HUBEE_NOTIFIED: 2, SENT: 1, DONE: 4, ARCHIVED: 3, SI_INTG_ERROR: 1 } });
  assert.equal(counts.NOUVEAU, 3, 'notified and sent are both new');
  assert.equal(counts.TRAITE, 4);
  assert.equal(counts.ARCHIVE, 3);
  assert.equal(counts.ERREUR, 1);
  assert.equal(counts.RECU, 0);
});
