// The words and badges of statuses (labels.js): a file the antivirus rejected says so.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileStatusLabel } from '../src/js/labels.js';

test('a file rejected by the antivirus is labelled as such, in red', () => {
  assert.deepEqual(fileStatusLabel('CORRUPTED'), ['Rejeté par l’antivirus', 'error']);
});

test('a received file carries no badge', () => {
  assert.equal(fileStatusLabel('RECEIVED'), null);
  assert.equal(fileStatusLabel(undefined), null);
});
