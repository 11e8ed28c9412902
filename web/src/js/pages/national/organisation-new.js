// `/national/organisations/nouvelle`: "Créer une organisation". An instructing service (SI), an
// operator (OSL) with the code its procedures name, or an organisation of the platform (ADMIN);
// its SIRET, branch code, name and contacts. Then its page.

import { national } from '../../api.js';
import { add, h } from '../../dom.js';
import { ORG_TYPES, isBranchCode, isOperatorCode, isSiret } from '../../national.js';
import { flash } from '../../session.js';
import {
  button,
  clearProblems,
  form,
  radioGroup,
  requiredNote,
  showError,
  showProblems,
  textField,
} from '../../ui/forms.js';
import { contactsEditor, nationalTitle, organisationHref } from './common.js';

export async function render(view, { navigate }) {
  const problems = h('div', {});
  const fields = {
    type: radioGroup({
      legend: 'Type d’organisation',
      name: 'type',
      required: true,
      options: [
        { value: 'SI', label: ORG_TYPES.SI, hint: 'Une mairie, une administration\u00a0: reçoit les télédossiers' },
        { value: 'OSL', label: ORG_TYPES.OSL, hint: 'Envoie les télédossiers de ses démarches' },
        { value: 'ADMIN', label: ORG_TYPES.ADMIN, hint: 'L’équipe HubEE, ses outils (DataPass…)' },
      ],
    }),
    siret: textField({
      label: 'SIRET',
      name: 'siret',
      required: true,
      inputmode: 'numeric',
      maxlength: '17',
      hint: '14 chiffres, clé de contrôle comprise',
    }),
    branchCode: textField({
      label: 'Code établissement',
      name: 'branchCode',
      required: true,
      value: '00000',
      maxlength: '10',
      hint: '1 à 10 lettres ou chiffres\u00a0; en général le code INSEE de la commune, 00000 s’il n’y en a pas',
    }),
    name: textField({ label: 'Nom', name: 'name', required: true, maxlength: '255' }),
    code: textField({
      label: 'Code opérateur',
      name: 'code',
      required: true,
      maxlength: '30',
      spellcheck: 'false',
      hint: 'Le code que ses démarches citent (par exemple DGS)\u00a0: 1 à 30 majuscules, chiffres, _ ou -. Il ne change plus ensuite.',
    }),
    contacts: contactsEditor([], { level: 2 }),
  };
  const codeSlot = h('div', { hidden: true }, fields.code.element);
  for (const input of fields.type.inputs) {
    input.addEventListener('change', () => {
      codeSlot.hidden = fields.type.value !== 'OSL';
    });
  }

  /** The form's own checks, each under its field. */
  function check() {
    const found = [];
    const siret = fields.siret.value.replace(/\s/g, '');
    if (!fields.type.value) found.push({ field: 'type', message: 'Choisissez le type d’organisation.' });
    if (!isSiret(siret))
      found.push({ field: 'siret', message: 'Numéro SIRET invalide\u00a0: 14 chiffres, clé de contrôle comprise.' });
    if (!isBranchCode(fields.branchCode.value))
      found.push({ field: 'branchCode', message: 'Code établissement invalide\u00a0: 1 à 10 lettres ou chiffres.' });
    if (!fields.name.value) found.push({ field: 'name', message: 'Indiquez le nom de l’organisation.' });
    if (fields.type.value === 'OSL' && !isOperatorCode(fields.code.value))
      found.push({
        field: 'code',
        message: 'Code opérateur invalide\u00a0: 1 à 30 caractères parmi les majuscules, les chiffres, _ et -.',
      });
    found.push(...fields.contacts.problems());
    return found;
  }

  const submit = button('Créer l’organisation', { type: 'submit' });
  const create = form(
    {
      'aria-label': 'Créer une organisation',
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          const found = check();
          if (found.length) return showProblems(problems, found, fields);
          const organisation = {
            type: fields.type.value,
            siret: fields.siret.value.replace(/\s/g, ''),
            branchCode: fields.branchCode.value,
            name: fields.name.value,
            ...(fields.type.value === 'OSL' ? { code: fields.code.value } : {}),
            contacts: fields.contacts.value,
          };
          submit.disabled = true;
          try {
            const created = await national.createOrganisation(organisation);
            flash({
              type: 'success',
              title: 'Organisation créée',
              text: `${created.name} (SIRET ${created.siret}, code établissement ${created.branchCode}) est enregistrée.`,
            });
            await navigate(organisationHref(created.siret, created.branchCode));
          } catch (error) {
            showError(problems, error, fields);
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    fields.type.element,
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.siret.element),
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.branchCode.element),
    ),
    fields.name.element,
    codeSlot,
    fields.contacts.element,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, submit),
      h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/national/organisations' }, 'Annuler')),
    ),
  );

  add(
    view,
    ...nationalTitle('Créer une organisation', {
      back: { href: '/national/organisations', label: 'Retour aux organisations' },
    }),
    problems,
    create,
  );
}
