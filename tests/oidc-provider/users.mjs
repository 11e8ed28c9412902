// The test identities the stand-in ProConnect offers on its sign-in form. Fictional people;
// the SIRETs are the hub's own test organisations (tests/src/lib.rs: MAIRIE_A, MAIRIE_B), so a
// suite can pre-enrol these agents in organisations it already creates.
//
// `level` is the identity assurance the user's identity provider certifies: the `acr` returned
// is that level, with `-2fa` appended when the second factor is chosen on the form (README.md).

export const MAIRIE_A = '11001401600015';
export const MAIRIE_B = '21000005908301';

const SELF_ASSERTED = 'https://proconnect.gouv.fr/assurance/self-asserted';
const CONSISTENCY_CHECKED = 'https://proconnect.gouv.fr/assurance/consistency-checked';

export const USERS = {
  // An ordinary agent of MAIRIE_A.
  agent: {
    sub: 'b7c1d2e3-0001-4a5b-8c9d-000000000001',
    email: 'camille.martin@mairie-a.test',
    given_name: 'Camille',
    usual_name: 'Martin',
    uid: 'cmartin',
    siret: MAIRIE_A,
    idp_id: 'idp-test-mairie-a',
    organizational_unit: 'Service état civil',
    level: SELF_ASSERTED,
  },
  // A local administrator of MAIRIE_A; signs in with or without a second factor depending on
  // the form's `mfa` choice (without it, a hub requiring 2FA for administrators must refuse).
  admin: {
    sub: 'b7c1d2e3-0002-4a5b-8c9d-000000000002',
    email: 'alex.bernard@mairie-a.test',
    given_name: 'Alex',
    usual_name: 'Bernard',
    uid: 'abernard',
    siret: MAIRIE_A,
    idp_id: 'idp-test-mairie-a',
    organizational_unit: 'Direction des systèmes d’information',
    level: CONSISTENCY_CHECKED,
  },
  // An agent of another organisation (MAIRIE_B).
  other: {
    sub: 'b7c1d2e3-0003-4a5b-8c9d-000000000003',
    email: 'sacha.leroy@mairie-b.test',
    given_name: 'Sacha',
    usual_name: 'Leroy',
    uid: 'sleroy',
    siret: MAIRIE_B,
    idp_id: 'idp-test-mairie-b',
    level: SELF_ASSERTED,
  },
  // A real-looking ProConnect identity the hub has no account for (a login never creates one).
  unknown: {
    sub: 'b7c1d2e3-0004-4a5b-8c9d-000000000004',
    email: 'inconnu.dupont@mairie-a.test',
    given_name: 'Inconnu',
    usual_name: 'Dupont',
    uid: 'idupont',
    siret: MAIRIE_A,
    idp_id: 'idp-test-mairie-a',
    level: SELF_ASSERTED,
  },
  // Same `sub` across logins, but the e-mail now differs from `previous_email`, the address the
  // hub's account was enrolled with. A suite that needs the sub linked first can sign in once
  // with the previous address (POST /__test/users/changed-email {"email": previous_email}),
  // then restore `email` and sign in again.
  'changed-email': {
    sub: 'b7c1d2e3-0005-4a5b-8c9d-000000000005',
    email: 'dominique.petit-renard@mairie-a.test',
    previous_email: 'dominique.petit@mairie-a.test',
    given_name: 'Dominique',
    usual_name: 'Petit-Renard',
    uid: 'dpetit',
    siret: MAIRIE_A,
    idp_id: 'idp-test-mairie-a',
    level: SELF_ASSERTED,
  },
};

// The claims ProConnect may return, each requested by the scope of the same name.
export const PIVOT_CLAIMS = [
  'email',
  'given_name',
  'usual_name',
  'uid',
  'siret',
  'idp_id',
  'organizational_unit',
  'belonging_population',
  'phone',
  'organization_label',
];

export function userBySub(sub) {
  return Object.values(USERS).find((user) => user.sub === sub);
}
