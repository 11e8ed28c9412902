// The audit journal's words and checks (web/src/js/audit.js) and the hub's messages about its
// query (messages.js).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  actorKind,
  auditAction,
  auditReason,
  auditTime,
  chainOrganisation,
  daysBetween,
  isDay,
  outcomeBadge,
  periodProblems,
} from '../src/js/audit.js';
import { problemsOf } from '../src/js/messages.js';

test('the common actions have their French label, the others a readable one from their code', () => {
  assert.equal(auditAction('signIn.password'), 'Connexion\u00a0: mot de passe');
  assert.equal(auditAction('signIn.code'), 'Connexion\u00a0: code');
  assert.equal(auditAction('token.issue'), 'Jeton d’API');
  assert.equal(auditAction('access.denied'), 'Accès refusé');
  assert.equal(auditAction('accounts.update'), 'Modification : comptes');
  assert.equal(auditAction('cases.attachments.read'), 'Consultation : télédossiers › pièces jointes');
  assert.equal(auditAction('subscriptions.credentials.create'), 'Création : abonnements › identifiants API');
  assert.equal(auditAction('accounts.delegation.delete'), 'Suppression : comptes › délégation');
  // An unknown word stays as the hub wrote it; a code without a verb is its subjects.
  assert.equal(auditAction('widgets.frobnicate'), 'widgets › frobnicate');
  assert.equal(auditAction('newThing.update'), 'Modification : newThing');
  assert.equal(auditAction(''), '');
});

test('actors, outcomes and reasons in words', () => {
  assert.equal(actorKind('ACCOUNT'), 'compte');
  assert.equal(actorKind('API_CLIENT'), 'client API');
  assert.equal(actorKind('ANONYMOUS'), 'anonyme');
  assert.equal(actorKind('SYSTEM'), 'système');
  assert.equal(actorKind('OTHER'), 'OTHER');
  assert.deepEqual(outcomeBadge('GRANTED'), { label: 'Autorisé', modifier: 'success' });
  assert.deepEqual(outcomeBadge('DENIED'), { label: 'Refusé', modifier: 'error' });
  assert.equal(auditReason('wrong password, or account not activated'), 'Mot de passe incorrect, ou compte non activé');
  assert.equal(auditReason('session opened'), 'Session ouverte');
  assert.equal(auditReason('scope OSL'), 'scope OSL', 'an unknown reason as recorded');
  assert.equal(auditReason(undefined), '');
});

test("a chain names its organisation, or is the platform's", () => {
  assert.deepEqual(chainOrganisation('11001401600015#75108'), { siret: '11001401600015', branchCode: '75108' });
  assert.equal(chainOrganisation('PLATFORM'), null);
  assert.equal(chainOrganisation(undefined), null);
});

test('an entry shows its moment in Paris time, to the second', () => {
  assert.equal(auditTime('2026-12-07T03:10:23Z'), '07/12/2026 à 04:10:23');
  assert.equal(auditTime('2026-07-01T22:00:05.123Z'), '02/07/2026 à 00:00:05');
  assert.equal(auditTime('not a date'), '');
});

test('the period is checked as the hub checks it: real days, in order, a year at most', () => {
  assert.ok(isDay('2026-02-28'));
  assert.ok(!isDay('2026-02-30'));
  assert.ok(!isDay('28/02/2026'));
  assert.equal(daysBetween('2026-01-01', '2026-01-30'), 30);
  assert.deepEqual(periodProblems('', ''), []);
  assert.deepEqual(periodProblems('2026-01-01', ''), []);
  assert.deepEqual(periodProblems('2026-01-01', '2026-01-01'), []);
  assert.deepEqual(periodProblems('2026-02-01', '2026-01-31'), [
    { field: 'to', message: 'La fin de période doit suivre le début de période.' },
  ]);
  assert.deepEqual(periodProblems('2025-01-01', '2026-01-01'), [], '366 days');
  assert.deepEqual(periodProblems('2024-12-31', '2026-01-01'), [
    { field: 'from', message: 'La période ne doit pas dépasser 366 jours.' },
  ]);
  assert.equal(periodProblems('2026-13-01', '')[0].field, 'from');
});

test("the hub's refusals of a journal query are in French, under their field", () => {
  const line = (field, text) => `[ERROR][REQUEST][GET /portail/v1/audit?from=x @query.${field}] ${text}`;
  const body = {
    errors: [
      {
        message: [
          line('from', '"x" is not a date (YYYY-MM-DD)'),
          line('from', '2026-02-01 comes after 2026-01-31'),
          line('from', '400 days asked: at most 366 at once'),
          line('outcome', '"MAYBE" is not GRANTED or DENIED'),
          line('branchCode', 'siret and branchCode go together'),
          line('cursor', 'not a cursor this journal issued'),
          line('limit', 'a number from 1 to 200'),
        ].join('\n'),
      },
    ],
  };
  assert.deepEqual(
    problemsOf(400, body).map((p) => [p.field, p.message]),
    [
      ['from', 'Date invalide\u00a0: format attendu JJ/MM/AAAA.'],
      ['from', 'La fin de période doit suivre le début de période.'],
      ['from', 'La période ne doit pas dépasser 366 jours.'],
      ['outcome', 'Valeur non reconnue.'],
      ['branchCode', 'Le SIRET et le code établissement vont ensemble.'],
      ['cursor', 'Cette page du journal n’existe plus\u00a0: revenez à la première page.'],
      ['limit', 'Un nombre de 1 à 200.'],
    ],
  );
});
