// The fields of an account, shared by the creation and the edit pages ("Gestion des comptes"):
// actor type, roles, habilitations, e-mail, civility, names, function and phones, with the
// checks the hub makes, so that the button is active only when the mandatory fields are valid.

import { h } from '../dom.js';
import { ACTOR_TYPES, CIVILITIES, ROLES } from '../labels.js';
import { procedureLabel } from '../procedures.js';
import { checkboxGroup, radioGroup, selectField, textField } from '../ui/forms.js';

const FRENCH_CODES = ['33', '262', '269', '508', '590', '594', '596', '681', '687', '689'];
// National numbers of overseas departments whose country code is not +33 (the hub's table).
const OVERSEAS = {
  '0262': '262',
  '0263': '262',
  '0269': '262',
  '0639': '262',
  '0692': '262',
  '0693': '262',
  '0508': '508',
  '0590': '590',
  '0690': '590',
  '0691': '590',
  '0594': '594',
  '0694': '594',
  '0596': '596',
  '0696': '596',
  '0697': '596',
};
const PHONE_HINT = 'Un numéro français (par exemple 06 12 34 56 78) ou avec l’indicatif du pays (+33612345678)';

/**
 * The E.164 form of a phone number (`+33612345678`), or an error message: the hub's rule
 * (a French national number gets its country code; separators are dropped).
 */
export function checkPhone(value) {
  const compact = value.trim().replace(/[\s.()\-\u00a0]/g, '');
  let digits = null;
  if (compact.startsWith('+')) digits = compact.slice(1);
  else if (compact.startsWith('00')) digits = compact.slice(2);
  else if (/^0[1-9]\d{8}$/.test(compact)) digits = (OVERSEAS[compact.slice(0, 4)] ?? '33') + compact.slice(1);
  if (
    digits === null ||
    !/^[1-9]\d{7,14}$/.test(digits) ||
    FRENCH_CODES.some((c) => digits.startsWith(`${c}0`)) ||
    (digits.startsWith('33') && digits.length !== 11)
  ) {
    return { error: `Numéro invalide. ${PHONE_HINT}.` };
  }
  return { value: `+${digits}` };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The fields, filled from `account` when given. `procedures`: the organisation's subscribed
 * procedures (`[{code, title}]`). `withEmail`: the creation's address field; `withRoles`: the
 * roles' checkboxes (an edit; a creation takes the actor type's defaults). `level`: the sections'
 * heading level.
 */
export function accountFields({ account = {}, procedures, withEmail, withRoles, level = 2 }) {
  const fields = {
    actorType: selectField({
      label: 'Type d’acteur',
      name: 'actorType',
      required: true,
      value: account.actorType ?? 'AGENT',
      options: Object.entries(ACTOR_TYPES).map(([value, label]) => ({ value, label })),
    }),
  };
  if (withRoles) {
    fields.roles = checkboxGroup({
      legend: 'Rôles assignés',
      name: 'roles',
      required: true,
      values: account.roles ?? [],
      hint: 'Tous les rôles peuvent être attribués à tout compte.',
      options: Object.entries(ROLES).map(([value, label]) => ({ value, label })),
    });
  }
  fields.habilitations = checkboxGroup({
    legend: 'Habilitations aux démarches',
    name: 'habilitations',
    values: account.habilitations ?? [],
    hint:
      procedures.length > 0
        ? 'Les démarches auxquelles votre service est abonné. Sans habilitation, un agent ne voit aucun télédossier.'
        : 'Votre service n’est abonné à aucune démarche pour le moment.',
    options: procedures.map((p) => ({ value: p.code, label: procedureLabel(p) })),
  });
  if (withEmail) {
    fields.email = textField({
      label: 'Adresse électronique',
      name: 'email',
      type: 'email',
      required: true,
      autocomplete: 'off',
      spellcheck: 'false',
      hint: 'Adresse professionnelle et personnelle, par exemple prenom.nom@mairie.fr',
    });
  }
  fields.civility = radioGroup({
    legend: 'Civilité',
    name: 'civility',
    inline: true,
    value: account.civility ?? '',
    options: Object.entries(CIVILITIES).map(([value, label]) => ({ value, label })),
  });
  fields.firstName = textField({
    label: 'Prénom',
    name: 'firstName',
    required: true,
    value: account.firstName,
    autocomplete: 'off',
    maxlength: '100',
  });
  fields.lastName = textField({
    label: 'Nom',
    name: 'lastName',
    required: true,
    value: account.lastName,
    autocomplete: 'off',
    maxlength: '100',
  });
  fields.function = textField({
    label: 'Fonction',
    name: 'function',
    value: account.function,
    maxlength: '200',
    hint: 'Utile pour contacter la personne, par exemple « Officier d’état civil »',
  });
  fields.phoneNumber = textField({
    label: 'Téléphone principal',
    name: 'phoneNumber',
    type: 'tel',
    required: true,
    value: account.phoneNumber,
    autocomplete: 'off',
    hint: PHONE_HINT,
  });
  fields.secondaryPhoneNumber = textField({
    label: 'Téléphone secondaire',
    name: 'secondaryPhoneNumber',
    type: 'tel',
    value: account.secondaryPhoneNumber,
    autocomplete: 'off',
    hint: PHONE_HINT,
  });

  const habilitationsNote = h(
    'p',
    { class: 'fr-hint-text', hidden: true },
    'Un administrateur local n’a pas d’habilitation : il voit les télédossiers de toutes les démarches de l’organisation.',
  );
  // A local administrator has no habilitations: its procedure boxes are unticked and disabled
  // (still shown, so that the person sees why), and enabled again for another actor type.
  const syncActorType = () => {
    const admin = fields.actorType.value === 'LOCAL_ADMIN';
    for (const input of fields.habilitations.inputs) {
      if (admin) input.checked = false;
      input.disabled = admin;
    }
    habilitationsNote.hidden = !admin;
  };
  fields.actorType.input.addEventListener('change', syncActorType);
  syncActorType();

  const rights = h(
    'fieldset',
    { class: 'fr-fieldset hubee-fieldset' },
    h(
      'legend',
      { class: 'fr-fieldset__legend' },
      h(`h${level}`, { class: 'fr-h4 fr-mb-0' }, 'Rôles et droits d’accès'),
    ),
    h('div', { class: 'fr-fieldset__element' }, fields.actorType.element),
    fields.roles && h('div', { class: 'fr-fieldset__element' }, fields.roles.element),
    h('div', { class: 'fr-fieldset__element' }, fields.habilitations.element, habilitationsNote),
  );
  const personal = h(
    'fieldset',
    { class: 'fr-fieldset hubee-fieldset' },
    h(
      'legend',
      { class: 'fr-fieldset__legend' },
      h(`h${level}`, { class: 'fr-h4 fr-mb-0' }, 'Informations personnelles'),
    ),
    fields.email && h('div', { class: 'fr-fieldset__element' }, fields.email.element),
    h('div', { class: 'fr-fieldset__element' }, fields.civility.element),
    h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' }, fields.firstName.element),
    h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' }, fields.lastName.element),
    h('div', { class: 'fr-fieldset__element' }, fields.function.element),
    h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' }, fields.phoneNumber.element),
    h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' }, fields.secondaryPhoneNumber.element),
  );
  return { fields, sections: [rights, personal] };
}

/** The problems of the fields as filled, `[{field, message}]` (empty when valid). */
export function problemsOf(fields) {
  const problems = [];
  if (fields.email) {
    if (!fields.email.value) problems.push({ field: 'email', message: 'Saisissez l’adresse électronique.' });
    else if (!EMAIL.test(fields.email.value))
      problems.push({ field: 'email', message: 'Adresse invalide (format attendu : nom@domaine.fr).' });
  }
  if (fields.roles && fields.roles.value.length === 0)
    problems.push({ field: 'roles', message: 'Cochez au moins un rôle.' });
  if (!fields.firstName.value) problems.push({ field: 'firstName', message: 'Saisissez le prénom.' });
  if (!fields.lastName.value) problems.push({ field: 'lastName', message: 'Saisissez le nom.' });
  if (!fields.phoneNumber.value) problems.push({ field: 'phoneNumber', message: 'Saisissez le téléphone principal.' });
  else if (checkPhone(fields.phoneNumber.value).error)
    problems.push({ field: 'phoneNumber', message: checkPhone(fields.phoneNumber.value).error });
  if (fields.secondaryPhoneNumber.value && checkPhone(fields.secondaryPhoneNumber.value).error) {
    problems.push({ field: 'secondaryPhoneNumber', message: checkPhone(fields.secondaryPhoneNumber.value).error });
  }
  return problems;
}

/** The account as the fields describe it, in the API's terms (empty optional fields are `null`). */
export function valuesOf(fields) {
  const admin = fields.actorType.value === 'LOCAL_ADMIN';
  return {
    actorType: fields.actorType.value,
    ...(fields.email ? { email: fields.email.value } : {}),
    civility: fields.civility.value || null,
    firstName: fields.firstName.value,
    lastName: fields.lastName.value,
    function: fields.function.value || null,
    phoneNumber: checkPhone(fields.phoneNumber.value).value ?? fields.phoneNumber.value,
    secondaryPhoneNumber: fields.secondaryPhoneNumber.value
      ? (checkPhone(fields.secondaryPhoneNumber.value).value ?? fields.secondaryPhoneNumber.value)
      : null,
    habilitations: admin ? [] : fields.habilitations.value,
    ...(fields.roles ? { roles: fields.roles.value } : {}),
  };
}

/**
 * Calls `onChange` whenever any field changes, and shows a field's problem once the person has
 * left it (so that a disabled button never goes unexplained).
 */
export function watch(fields, onChange) {
  for (const [name, field] of Object.entries(fields)) {
    field.element.addEventListener('input', onChange);
    field.element.addEventListener('change', () => {
      field.setError(problemsOf(fields).find((p) => p.field === name)?.message ?? null);
      onChange();
    });
  }
}
