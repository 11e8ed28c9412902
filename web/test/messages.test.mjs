// The API's stable English messages (docs/PORTAL-API.md, docs/PORTAL-DOSSIERS.md) in French.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forStatus, problemsOf, translate } from '../src/js/messages.js';

/** Every message the portal routes answer with (shared/src/services, shared/src/http). */
const MESSAGES = [
  'Invalid e-mail address or password',
  'Wrong code: 4 attempts left',
  'Wrong code: 1 attempt left',
  'This code has expired or can no longer be used: sign in again',
  'This link is invalid, has expired or was already used: ask for a new one',
  'Not signed in, or the session has expired: sign in again',
  'Missing or wrong X-CSRF-Token header',
  'Cross-site request refused',
  'Unsupported Media Type: the body must be application/json',
  'The password must have at least 8 characters',
  'The password must have at most 128 characters',
  'The password must contain a digit',
  'The password must contain an upper-case letter',
  'The password must contain a special character among !@#$%&*()',
  'Unauthorized user',
  'Case is not found',
  'File is not found',
  'File is not found: the binary of attachment 0b0a3c1e-5d2f-4b8e-9a61-2f3c4d5e6f70 was rejected by the antivirus (CORRUPTED) and is never served',
  'The antivirus is unavailable: the binary was not stored, please retry later',
  'Password sign-in is turned off: sign in with ProConnect',
  'The antivirus is still scanning the binary of attachment 0b0a3c1e-5d2f-4b8e-9a61-2f3c4d5e6f70: retry in a few seconds',
  'Binary meta-data is not found',
  'Subscription is not found',
  'Account is not found',
  'An account already exists with this e-mail address',
  'This technical delegate belongs to another organisation: only its roles and habilitations in yours change here',
  'This account belongs to the organisation: it cannot be detached (suspend it instead)',
  'Invitation is not found',
  'You cannot suspend your own account',
  'You cannot remove your own GESTION_UTILISATEURS role: another administrator of the organisation must',
  'A refusal needs a reason',
  'The reason is longer than 1000 characters',
  'Finish is not possible on a dossier in status SI_RECEIVED',
  'ConfirmReception is not possible on a dossier in status REFUSED',
  'A bulk action takes 1 to 500 dossiers',
  'A download takes 1 to 500 dossiers',
  'A comment has 1 to 1000 characters',
  'A subscription Refuse cannot be activated',
  'An address is needed to receive notifications',
  'This address belongs to an account that cannot be a technical delegate',
  'The subscription is not in API mode',
  'Service unavailable, please retry',
  'Internal server error',
  'Request body larger than 1048576 bytes',
  'The case is archived',
  'Case status cannot change from SI_RECEIVED to DONE by SI (strict procedure)',
  'Size does not match with attachment meta-data',
  'The upload was interrupted: connection reset',
  'The binary (10485760 bytes) is larger than the 4194304 bytes a request to this API carries: ask for an upload URL with POST /portail/v1/cases/00000000-0000-4000-8000-000000000000/attachments/upload-url and PUT the file there',
  'Attachment 0 (scan.pdf) is larger than the 1073741824 bytes procedure CERTDC accepts',
  'Attachment 0 (scan.exe): procedure STRICTDEMO does not accept the format application/x-msdownload',
  'Digest abc is not a base64-encoded SHA-256 value',
  'More than 50,000 dossiers match: narrow the search (tab, procedure, transmission dates) to export them',
  'The export is larger than this deployment can answer: narrow the search to export it',
  'Not Found',
];

test('every message of the portal API has its French sentence', () => {
  for (const message of MESSAGES) {
    const french = translate(message);
    assert.ok(french, `no French for ${JSON.stringify(message)}`);
    assert.doesNotMatch(french, /\b(the|is|not|must|with)\b/, `still English: ${french}`);
  }
});

test('sentences carry the values of their message', () => {
  assert.equal(translate('Wrong code: 1 attempt left'), 'Code incorrect\u00a0: il vous reste 1 essai.');
  assert.equal(translate('Wrong code: 3 attempts left'), 'Code incorrect\u00a0: il vous reste 3 essais.');
  assert.equal(
    translate('ConfirmReception is not possible on a dossier in status REFUSED'),
    'Action « Accuser réception » impossible sur un télédossier au statut « Refusé ».',
  );
});

test('a deposit the procedure refuses says which limit', () => {
  assert.equal(
    translate('Attachment 0 (scan.pdf) is larger than the 1048576 bytes procedure CERTDC accepts'),
    'Le fichier dépasse la taille maximale acceptée par la démarche CERTDC (1048576 octets).',
  );
  assert.equal(
    translate('Attachment 0 (a b.exe): procedure CERTDC does not accept the format application/x-msdownload'),
    'La démarche CERTDC n’accepte pas ce format de fichier (application/x-msdownload).',
  );
});

test('validation lines name their field', () => {
  const body = {
    errors: [
      {
        code: 400,
        message:
          'Bad Request : Validation failed.\n' +
          '[ERROR][REQUEST][POST /portail/v1/accounts @body.phoneNumber] "0612" is not a phone number with its country code, without the leading 0 (e.g. +33612345678)\n' +
          '[ERROR][REQUEST][POST /portail/v1/accounts @body] Object has missing required properties (["lastName"])\n' +
          '[ERROR][REQUEST][POST /portail/v1/accounts @body.habilitations[0]] The organisation does not subscribe to procedure AEC: it cannot be given',
      },
    ],
  };
  const problems = problemsOf(400, body);
  assert.deepEqual(
    problems.map((p) => p.field),
    ['phoneNumber', 'lastName', 'habilitations'],
  );
  assert.match(problems[0].message, /indicatif du pays/);
  assert.equal(problems[1].message, 'Ce champ est obligatoire.');
  assert.match(problems[2].message, /pas abonnée à la démarche AEC/);
});

test('query problems and rule messages name their field too', () => {
  const query = problemsOf(400, {
    errors: [
      {
        code: 400,
        message: 'Bad Request : Validation failed.\n[ERROR][REQUEST] @query.cursor: not a cursor this inbox issued',
      },
    ],
  });
  assert.deepEqual(query, [
    {
      field: 'cursor',
      message: 'Cette page de résultats a expiré\u00a0: relancez la recherche.',
      raw: '[ERROR][REQUEST] @query.cursor: not a cursor this inbox issued',
    },
  ]);
  const rules = problemsOf(400, {
    errors: [
      { code: 400, message: 'The password must contain a digit' },
      { code: 400, message: 'The password must contain an upper-case letter' },
    ],
  });
  assert.deepEqual(
    rules.map((p) => p.field),
    ['password', 'password'],
  );
});

test('an unknown or missing message falls back on its HTTP status, in French', () => {
  assert.equal(translate('Something nobody wrote'), null);
  assert.deepEqual(
    problemsOf(502, null).map((p) => p.message),
    [forStatus(502)],
  );
  assert.equal(problemsOf(418, { errors: [{ code: 418, message: 'I am a teapot' }] })[0].message, forStatus(400));
  assert.match(forStatus(0), /ne répond pas/);
});
