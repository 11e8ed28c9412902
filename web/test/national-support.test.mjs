// The national back office's subscriptions, support, failed e-mails and commune mergers: the
// decisions each status allows, the account search, the words of failed e-mails, the merger's
// running counts, their journal entries and messages (web/src/js/national.js, messages.js), and
// paging by offset (web/src/js/ui/pager.js).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { problemsOf, translate } from '../src/js/messages.js';
import {
  DECISIONS,
  accountSearch,
  addMigration,
  changes,
  decisionsFor,
  deliveryReason,
  describe,
  journalAction,
  migrationCounts,
  targetHref,
  targetLabel,
} from '../src/js/national.js';
import { accountHref, subscriptionHref } from '../src/js/pages/national/common.js';
import { pageNumbers, parseContentRange } from '../src/js/ui/pager.js';

test("a subscription's status offers only the decisions the hub applies to it", () => {
  assert.deepEqual(decisionsFor({ status: 'Inactif' }), ['VALIDATE', 'REFUSE']);
  assert.deepEqual(decisionsFor({ status: 'Actif' }), ['SUSPEND', 'END']);
  assert.deepEqual(decisionsFor({ status: 'Suspendu' }), ['RESUME', 'END']);
  assert.deepEqual(decisionsFor({ status: 'Refusé' }), []);
  // An ended subscription (suspended with its end date) can be resumed, not ended again.
  assert.deepEqual(decisionsFor({ status: 'Suspendu', endDateTime: '2026-06-01T00:00:00.000Z' }), ['RESUME']);
  assert.deepEqual(decisionsFor(undefined), []);
  assert.deepEqual(
    Object.keys(DECISIONS).filter((code) => DECISIONS[code].needsReason),
    ['REFUSE'],
    'only a refusal needs its reason',
  );
});

test("a subscription's and an account's addresses are those the journal links to", () => {
  assert.equal(
    subscriptionHref('11001401600015', '75108', 'CERTDC'),
    '/national/abonnements/11001401600015/75108/CERTDC',
  );
  assert.equal(
    subscriptionHref('11001401600015', '75108', 'CERTDC'),
    targetHref('subscription 0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11 (11001401600015-75108 CERTDC)'),
  );
  assert.equal(accountHref('agent@mairie.example'), targetHref('account agent@mairie.example'));
  // The search it was found with comes along, for "Retour à la recherche".
  assert.equal(accountHref('agent@mairie.example', 'pétit'), '/national/support/agent%40mairie.example?q=p%C3%A9tit');
});

test('support searches an exact address or the beginning of a last name', () => {
  assert.deepEqual(accountSearch('  agent@mairie.example '), { q: 'agent@mairie.example', by: 'email' });
  assert.deepEqual(accountSearch('Pétit'), { q: 'Pétit', by: 'name' });
  assert.deepEqual(accountSearch("d'Arc"), { q: "d'Arc", by: 'name' });
  for (const wrong of ['', '   ', undefined, '@mairie', 'agent@mairie', '!!!', '--']) {
    assert.ok(accountSearch(wrong).problem, JSON.stringify(wrong));
  }
});

test('a failed e-mail says why in words', () => {
  assert.equal(deliveryReason('refused'), 'Adresse refusée par le service d’envoi');
  assert.equal(deliveryReason('unavailable'), 'Service d’envoi indisponible');
  assert.equal(
    deliveryReason('message refused: invalid recipient address'),
    'Adresse refusée par le service d’envoi (invalid recipient address)',
  );
  assert.equal(deliveryReason('the subscription is gone'), 'the subscription is gone');
  assert.equal(deliveryReason(null), 'Inconnu');
});

test("a merger's calls add up until the hub says it is done", () => {
  let total = addMigration(undefined, { caseUpdated: 25, notificationsUpdated: 40, done: false });
  assert.deepEqual(total, { caseUpdated: 25, notificationsUpdated: 40, done: false, calls: 1 });
  total = addMigration(total, { caseUpdated: 1, notificationsUpdated: 0, done: true });
  assert.deepEqual(total, { caseUpdated: 26, notificationsUpdated: 40, done: true, calls: 2 });
  assert.equal(migrationCounts(total), '26 télédossiers déplacés, 40 notifications déplacées');
  assert.equal(
    migrationCounts({ caseUpdated: 1, notificationsUpdated: 0 }),
    '1 télédossier déplacé, 0 notification déplacée',
  );
});

test('the journal names these actions and their targets in French, with their pages', () => {
  assert.equal(journalAction('subscription.suspend'), 'Suspension d’un abonnement');
  assert.equal(journalAction('account.unlock'), 'Déverrouillage d’un compte');
  assert.equal(journalAction('delivery.resend'), 'Nouvel envoi d’un e-mail en échec');
  assert.equal(journalAction('cases.migrate'), 'Fusion\u00a0: télédossiers déplacés');
  const subscription = 'subscription 0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11 (11001401600015-75108 CERTDC)';
  assert.equal(targetHref(subscription), '/national/abonnements/11001401600015/75108/CERTDC');
  assert.equal(targetLabel(subscription), 'Abonnement CERTDC de 11001401600015-75108');
  assert.equal(targetHref('account agent@mairie.example'), '/national/support/agent%40mairie.example');
  assert.equal(targetLabel('account agent@mairie.example'), 'Compte agent@mairie.example');
  const merger = 'organisation 11001401600015-75108 → organisation 21000005908301-69123';
  assert.equal(targetHref(merger), null);
  assert.equal(targetLabel(merger), 'Organisation 11001401600015-75108 → Organisation 21000005908301-69123');
  assert.equal(targetHref('delivery 0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11'), null);
  assert.equal(
    targetLabel('delivery 0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11'),
    'E-mail 0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11',
  );
});

test("the journal describes a decision's, an account's and an e-mail's fields in words", () => {
  const date = (v) => `le ${v.slice(0, 10)}`;
  const found = changes(
    { status: 'Actif', endDateTime: null, subscriber: { type: 'SI', companyRegister: '1', branchCode: 'A' } },
    {
      status: 'Suspendu',
      endDateTime: '2026-06-01T10:00:00.000Z',
      subscriber: { type: 'SI', companyRegister: '1', branchCode: 'A' },
    },
  );
  assert.deepEqual(
    found.map((c) => [c.label, describe(c.field, c.before, date), describe(c.field, c.after, date)]),
    [
      ['Statut', 'Actif', 'Suspendu'],
      ['Date de fin', '—', 'le 2026-06-01'],
    ],
  );
  assert.equal(describe('subscriber', { type: 'SI', companyRegister: '110', branchCode: '75108' }), '110 (75108)');
  assert.equal(describe('localAdministrator', { email: 'admin@mairie.example' }), 'admin@mairie.example');
  assert.equal(describe('lockedUntil', '2026-06-01T10:15:00Z', date), 'le 2026-06-01');
  assert.equal(describe('actorType', 'NATIONAL_ADMIN'), 'Administrateur national');
  assert.equal(describe('accessMode', 'PORTAIL'), 'Portail');
  assert.equal(describe('status', 'PENDING'), 'en attente d’envoi');
  assert.equal(describe('message', 'SUBSCRIPTION_DECIDED'), 'Décision sur un abonnement');
  assert.equal(describe('lastError', 'refused'), 'Adresse refusée par le service d’envoi');
  assert.equal(
    describe('organisations', [
      { siret: '110', branchCode: '75108', relation: 'HOME' },
      { siret: '210', branchCode: '69123', relation: 'INVITED' },
    ]),
    '110 (75108) ; 210 (69123) : Délégué technique invité (invitation en attente)',
  );
  assert.equal(describe('processCodes', ['CERTDC']), 'CERTDC');
});

test('paging by offset reads the Content-Range of the referential', () => {
  assert.deepEqual(parseContentRange('subscriptions 0-19/57'), {
    unit: 'subscriptions',
    first: 0,
    last: 19,
    total: 57,
  });
  assert.deepEqual(parseContentRange('subscriptions 40-56/57'), {
    unit: 'subscriptions',
    first: 40,
    last: 56,
    total: 57,
  });
  assert.deepEqual(parseContentRange('subscriptions */0'), {
    unit: 'subscriptions',
    first: null,
    last: null,
    total: 0,
  });
  for (const wrong of [null, '', 'subscriptions', 'subscriptions 0-19', 'subscriptions 0-19/*']) {
    assert.equal(parseContentRange(wrong), null, String(wrong));
  }
});

test('the pagination shows the first, the last and the neighbours of the current page', () => {
  assert.deepEqual(pageNumbers(1, 1), [1]);
  assert.deepEqual(pageNumbers(1, 3), [1, 2, 3]);
  assert.deepEqual(pageNumbers(1, 10), [1, 2, '…', 10]);
  assert.deepEqual(pageNumbers(5, 10), [1, '…', 4, 5, 6, '…', 10]);
  // A gap of one page shows that page rather than an ellipsis.
  assert.deepEqual(pageNumbers(4, 10), [1, 2, 3, 4, 5, '…', 10]);
  assert.deepEqual(pageNumbers(10, 10), [1, '…', 9, 10]);
  assert.deepEqual(pageNumbers(1, 0), []);
});

/** The API's messages for these routes (shared/src/services/national, migration.rs). */
const MESSAGES = [
  'SUSPEND does not apply to a subscription Refusé',
  'The account is activated: its holder uses "Mot de passe oublié" instead',
  'Only an e-mail that failed is sent again',
  'Delivery is not found',
  'Organization is not found',
  'organizationSource and organizationTarget are the same organisation',
  'organizationTarget must be an open instructing service (SI)',
  'organizationTarget is not subscribed to CERTDC',
];

test('every message of these routes has its French sentence', () => {
  for (const message of MESSAGES) {
    const french = translate(message);
    assert.ok(french, `no French for ${JSON.stringify(message)}`);
    assert.doesNotMatch(french, /\b(the|is|not|must|with|does)\b/, `still English: ${french}`);
  }
  assert.match(translate('END does not apply to a subscription Suspendu'), /« Suspendu »/);
  assert.match(translate('organizationTarget is not subscribed to CERTDC'), /démarche CERTDC/);
  const problems = problemsOf(400, {
    errors: [
      {
        code: 400,
        message: '[ERROR][REQUEST][GET /portail/v1/national/accounts] @query.q: an address or a name is required',
      },
    ],
  });
  assert.deepEqual(
    problems.map((p) => [p.field, p.message]),
    [['q', 'Saisissez une adresse électronique ou le début d’un nom de famille.']],
  );
  assert.deepEqual(
    problemsOf(400, { errors: [{ code: 400, message: 'A refusal needs a reason' }] }).map((p) => p.field),
    ['reason'],
    'the refusal names its field',
  );
});
