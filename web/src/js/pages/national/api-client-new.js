// `/national/clients-api/nouveau`: "Créer un client API" (`?siret=…&branchCode=…` from an
// organisation's page). Its scope, its organisation (of the scope's type, open) and, for an
// instructing service's client, the subscription's procedure. The secret is then shown once.

import { national } from '../../api.js';
import { add, fill, focus, h } from '../../dom.js';
import { SCOPES, SCOPE_ORG_TYPE, ORG_TYPES, isBranchCode, isSiret } from '../../national.js';
import { alert } from '../../ui/feedback.js';
import {
  button,
  clearProblems,
  form,
  radioGroup,
  requiredNote,
  selectField,
  showError,
  showProblems,
  textField,
} from '../../ui/forms.js';
import { details, section } from '../../ui/layout.js';
import { clientsHref, issuedSecret, nationalTitle, organisationHref } from './common.js';

const HINTS = {
  OSL: 'Un opérateur\u00a0: dépose les télédossiers de ses démarches',
  SI: 'Le logiciel métier d’un service instructeur, pour un de ses abonnements',
  ADMIN: 'Les outils de l’équipe HubEE\u00a0: le référentiel des abonnements',
  DATAPASS: 'DataPass\u00a0: crée les abonnements des habilitations validées',
};

export async function render(view, { query, isCurrent }) {
  const procedures = await national.procedures().catch(() => []);
  if (!isCurrent()) return;
  procedures.sort((a, b) => a.code.localeCompare(b.code));

  const problems = h('div', {});
  const fields = {
    scope: radioGroup({
      legend: 'Portée',
      name: 'scope',
      required: true,
      options: Object.entries(SCOPES).map(([value, label]) => ({
        value,
        label,
        hint: `${HINTS[value]}. Organisation de type ${ORG_TYPES[SCOPE_ORG_TYPE[value]]}.`,
      })),
    }),
    siret: textField({
      label: 'SIRET de l’organisation',
      name: 'siret',
      required: true,
      inputmode: 'numeric',
      value: query.get('siret') ?? '',
      hint: '14 chiffres, clé de contrôle comprise',
    }),
    branchCode: textField({
      label: 'Code établissement',
      name: 'branchCode',
      required: true,
      value: query.get('branchCode') ?? '',
      hint: '1 à 10 lettres ou chiffres',
    }),
    processCode: selectField({
      label: 'Démarche',
      name: 'processCode',
      required: true,
      placeholder: 'Choisir une démarche',
      options: procedures.map((p) => ({ value: p.code, label: `${p.code} - ${p.title}` })),
      hint: 'Un client SI sert un abonnement de l’organisation\u00a0: la démarche à laquelle elle est abonnée',
    }),
  };
  const processSlot = h('div', { hidden: true }, fields.processCode.element);
  for (const input of fields.scope.inputs) {
    input.addEventListener('change', () => {
      processSlot.hidden = fields.scope.value !== 'SI';
    });
  }

  function check() {
    const found = [];
    if (!fields.scope.value) found.push({ field: 'scope', message: 'Choisissez la portée du client.' });
    if (!isSiret(fields.siret.value.replace(/\s/g, '')))
      found.push({ field: 'siret', message: 'Numéro SIRET invalide\u00a0: 14 chiffres, clé de contrôle comprise.' });
    if (!isBranchCode(fields.branchCode.value))
      found.push({ field: 'branchCode', message: 'Code établissement invalide\u00a0: 1 à 10 lettres ou chiffres.' });
    if (fields.scope.value === 'SI' && !fields.processCode.value)
      found.push({ field: 'processCode', message: 'Choisissez la démarche de l’abonnement.' });
    return found;
  }

  const content = h('div', {});
  const submit = button('Créer le client API', { type: 'submit' });
  const create = form(
    {
      'aria-label': 'Créer un client API',
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          const found = check();
          if (found.length) return showProblems(problems, found, fields);
          const client = {
            scope: fields.scope.value,
            siret: fields.siret.value.replace(/\s/g, ''),
            branchCode: fields.branchCode.value,
            ...(fields.scope.value === 'SI' ? { processCode: fields.processCode.value } : {}),
          };
          submit.disabled = true;
          try {
            created(await national.createApiClient(client));
          } catch (error) {
            showError(problems, error, fields);
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    fields.scope.element,
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.siret.element),
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.branchCode.element),
    ),
    processSlot,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, submit),
      h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/national/clients-api' }, 'Annuler')),
    ),
  );
  fill(content, problems, create);

  /** The client is created: its secret, once, instead of the form. */
  function created(issued) {
    fill(
      content,
      alert({
        type: 'success',
        title: 'Client API créé',
        text: 'Il peut obtenir des jetons dès maintenant avec son identifiant et son secret.',
      }),
      issuedSecret(issued),
      section(
        'Le client',
        details([
          ['Identifiant client', h('span', { class: 'hubee-credential' }, issued.clientId)],
          ['Portée', issued.scopes.map((s) => SCOPES[s] ?? s).join(', ')],
          [
            'Organisation',
            h(
              'a',
              { href: organisationHref(issued.siret, issued.branchCode) },
              `${issued.siret} (${issued.branchCode})`,
            ),
          ],
          ['Démarche', issued.processCode],
        ]),
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-md fr-mt-2w' },
          h(
            'li',
            {},
            h(
              'a',
              { class: 'fr-btn fr-btn--secondary', href: clientsHref(issued.siret, issued.branchCode) },
              'Les clients API de l’organisation',
            ),
          ),
          h(
            'li',
            {},
            h(
              'a',
              { class: 'fr-btn fr-btn--tertiary', href: '/national/clients-api/nouveau' },
              'Créer un autre client API',
            ),
          ),
        ),
      ),
    );
    focus(content.querySelector('[data-credentials] .fr-alert__title'));
  }

  add(
    view,
    ...nationalTitle('Créer un client API', {
      back: { href: '/national/clients-api', label: 'Retour aux clients API' },
    }),
    content,
  );
}
