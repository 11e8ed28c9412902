// The national back office's checks, sizes, journal changes and messages (web/src/js/national.js,
// messages.js).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { problemsOf, translate } from '../src/js/messages.js';
import {
  changes,
  describe,
  isMimeType,
  isOperatorCode,
  isSiret,
  journalAction,
  megabytes,
  mimeTypes,
  parseDays,
  parseMegabytes,
  rulesSummary,
  targetHref,
  targetLabel,
} from '../src/js/national.js';

test('a SIRET is 14 digits with its Luhn key, La Poste with its own rule', () => {
  for (const siret of ['11001401600015', '21000005908301', '11000099000009', '35600000000048', '35600000000100']) {
    assert.ok(isSiret(siret), siret);
  }
  for (const siret of [
    '11001401600016',
    '1100140160001',
    '110014016000150',
    '1100140160001a',
    '',
    undefined,
    '35600000000101',
  ]) {
    assert.ok(!isSiret(siret), String(siret));
  }
});

test('operator codes are capitals, digits, _ and -', () => {
  assert.ok(isOperatorCode('DGS'));
  assert.ok(isOperatorCode('E2E_OP-1'));
  assert.ok(!isOperatorCode('dgs'));
  assert.ok(!isOperatorCode(''));
  assert.ok(!isOperatorCode('A'.repeat(31)));
});

test('sizes are typed in Mo with a decimal comma and sent in bytes', () => {
  assert.equal(parseMegabytes('1024'), 1024 ** 3);
  assert.equal(parseMegabytes('1,5'), 1.5 * 1024 * 1024);
  assert.equal(parseMegabytes(' 20 '), 20 * 1024 * 1024);
  assert.equal(parseMegabytes('1 024'), 1024 ** 3);
  assert.equal(parseMegabytes(''), null);
  for (const wrong of ['0', 'abc', '-3', '1,2,3', '1e3']) assert.ok(Number.isNaN(parseMegabytes(wrong)), wrong);
  assert.equal(megabytes(1024 ** 3), '1024');
  assert.equal(megabytes(1.5 * 1024 * 1024), '1,5');
  assert.equal(megabytes(2), '0');
  assert.equal(parseMegabytes(megabytes(5 * 1024 * 1024)), 5 * 1024 * 1024, 'a size shown reads back the same');
});

test('retention delays are whole days up to a century', () => {
  assert.equal(parseDays(''), null);
  assert.equal(parseDays('0'), 0);
  assert.equal(parseDays('365'), 365);
  assert.ok(Number.isNaN(parseDays('36526')));
  assert.ok(Number.isNaN(parseDays('1,5')));
});

test('MIME types are one a line, lower-case, without blanks or repeats', () => {
  assert.deepEqual(mimeTypes('application/pdf\n\n image/PNG \napplication/pdf, image/jpeg'), [
    'application/pdf',
    'image/png',
    'image/jpeg',
  ]);
  assert.deepEqual(mimeTypes(''), []);
  assert.ok(isMimeType('application/vnd.oasis.opendocument.text'));
  assert.ok(!isMimeType('pdf'));
  assert.ok(!isMimeType('application/'));
});

test("a procedure's rules read in a few French words", () => {
  const summary = rulesSummary({
    maxAttachmentSize: 1024 ** 3,
    allowedMimeTypes: ['application/pdf'],
    instructingDeposits: false,
    awaitingComplements: true,
    messages: false,
    statusPolicy: 'strict',
  });
  assert.deepEqual(summary, [
    'Pièces jointes\u00a0: 1 Go au plus, application/pdf',
    'Dépôts des services\u00a0: non',
    'Demande de compléments\u00a0: oui',
    'Messages\u00a0: non',
    'Statuts\u00a0: contrôle strict',
  ]);
  const sensitive = rulesSummary({ messages: true, statusPolicy: 'compatible', sensitive: true });
  assert.ok(sensitive.includes('Sensible\u00a0: double authentification'), 'a sensitive procedure says so');
});

test('the journal shows only the fields an action changed, in words', () => {
  const before = { code: 'PERMIS', closed: false, maxAttachmentSize: 1024 ** 3, retention: {}, allowedMimeTypes: [] };
  const after = {
    code: 'PERMIS',
    closed: true,
    maxAttachmentSize: 2 * 1024 * 1024,
    retention: { purgeDelayDays: 10 },
    allowedMimeTypes: [],
  };
  const found = changes(before, after);
  assert.deepEqual(
    found.map((c) => [c.label, describe(c.field, c.before), describe(c.field, c.after)]),
    [
      ['Fermée', 'non', 'oui'],
      ['Taille maximale (pièces de l’opérateur)', '1 Go', '2 Mo'],
      ['Conservation', 'par défaut', 'purge 10 jours'],
    ],
  );
  // Zero and one day in the singular, as French writes them.
  assert.equal(
    describe('retention', { archiveDelayDays: 0, purgeDelayDays: 1, deleteDelayDays: 2 }),
    'archivage 0 jour, purge 1 jour, suppression 2 jours',
  );
  // Key order does not make a change.
  assert.deepEqual(changes({ retention: { a: 1, b: 2 } }, { retention: { b: 2, a: 1 } }), []);
  // A creation lists what it set.
  assert.deepEqual(
    changes(undefined, { name: 'ANTS', contacts: [] }).map((c) => c.field),
    ['name', 'contacts'],
  );
  assert.equal(
    describe('contacts', [{ name: 'Support', email: 'support@ants.example', phone: '+33123456789' }]),
    'Support <support@ants.example> +33123456789',
  );
  assert.equal(
    describe('closedAt', '2026-03-01T10:00:00Z', () => 'le 1er mars'),
    'le 1er mars',
  );
  assert.equal(describe('closedAt', null), '—');
  assert.equal(describe('scopes', ['OSL']), 'Opérateur (OSL)');
});

test('journal actions and targets in French, with the page of what has one', () => {
  assert.equal(journalAction('procedure.close'), 'Fermeture d’une démarche');
  assert.equal(journalAction('subscription.somethingNew'), 'subscription.somethingNew');
  assert.equal(targetHref('organisation 11001401600015-75108'), '/national/organisations/11001401600015/75108');
  assert.equal(targetHref('procedure CERTDC'), '/national/demarches/CERTDC');
  assert.equal(targetHref('API client osl-x'), null);
  assert.equal(targetLabel('API client osl-x'), 'Client API osl-x');
});

/** The national API's messages (shared/src/services/national). */
const NATIONAL_MESSAGES = [
  'Organisation is not found',
  'Procedure is not found',
  'API client is not found',
  'Organisation 11001401600015-75108 already exists',
  'Operator code ANTS is already taken',
  'Organisation 11001401600015-75108 or its operator code was created meanwhile',
  'Operator NOBODY does not exist',
  'Procedure PERMIS already exists',
  'A OSL client belongs to an organisation of type Osl',
  'Organisation 11001401600015-75108 does not exist',
  'Organisation 11001401600015-75108 is closed',
  'Organisation 11001401600015-75108 has no subscription to PERMIS',
  'An operator (OSL) needs the code its procedures name',
  'Only an operator (OSL) has a code',
  'An SI client belongs to one subscription: processCode is required',
  'Only an SI client names a procedure',
  '"12345678901234" is not a valid SIRET',
  '"a b" is not a valid branch code',
  '"dgs" is not an operator code (1 to 30 of A-Z, 0-9, _ and -)',
  'purgeAfterStatus must be SENT or a later status: the recipient has not fetched the files before',
  'purgeDelayDays must be at most 36525 days',
  'code, title and operator are required',
  'not a cursor this listing issued',
  '1 to 14 digits',
  'only with siret',
];

test('every message of the national API has its French sentence', () => {
  for (const message of NATIONAL_MESSAGES) {
    const french = translate(message);
    assert.ok(french, `no French for ${JSON.stringify(message)}`);
    assert.doesNotMatch(french, /\b(the|is|not|must|with)\b/, `still English: ${french}`);
  }
  assert.equal(
    translate('Operator code ANTS is already taken'),
    'Le code opérateur ANTS est déjà pris par une autre organisation.',
  );
  assert.match(translate('A SI client belongs to an organisation of type Si'), /de type SI/);
});

test('a query problem after the request line names its field', () => {
  const problems = problemsOf(400, {
    errors: [
      {
        code: 400,
        message:
          'Bad Request : Validation failed.\n' +
          '[ERROR][REQUEST][GET /portail/v1/national/organisations] @query.siret: 1 to 14 digits\n' +
          '[ERROR][REQUEST][POST /portail/v1/national/organisations @body.code] An operator (OSL) needs the code its procedures name',
      },
    ],
  });
  assert.deepEqual(
    problems.map((p) => [p.field, p.message]),
    [
      ['siret', 'Saisissez de 1 à 14 chiffres (un SIRET ou un SIREN).'],
      ['code', 'Un opérateur (OSL) a besoin du code que ses démarches citent.'],
    ],
  );
});
