// What every page of the national back office shares: its title with the notice that the
// national team works on metadata only, the badges of organisations, procedures, API clients and
// accounts, their addresses, the contacts editor of the organisation forms, and a secret shown
// once.

import { fill, focus, h, uid } from '../../dom.js';
import { credentialsPanel } from '../../ui/credentials.js';
import { alert } from '../../ui/feedback.js';
import { button, textField } from '../../ui/forms.js';
import { pageTitle } from '../../ui/layout.js';

/** The page's title (and the message the previous page left), then the metadata-only notice. */
export function nationalTitle(title, options) {
  return [
    ...pageTitle(title, options),
    h(
      'div',
      { 'data-national-notice': '' },
      alert({
        type: 'info',
        small: true,
        text: 'Administration nationale\u00a0: vous travaillez sur les métadonnées de la plateforme. Vous n’avez accès ni au contenu des télédossiers ni à leurs pièces jointes.',
      }),
    ),
  ];
}

export function badge(label, modifier) {
  return h('p', { class: ['fr-badge', 'fr-badge--sm', modifier && `fr-badge--${modifier}`] }, label);
}

/** Open or closed, and "À compléter" when onboarding could not name it. */
export function organisationBadges(o) {
  return h(
    'ul',
    { class: 'fr-badges-group' },
    h('li', {}, o.closedAt ? badge('Fermée', 'error') : badge('Ouverte', 'success')),
    o.toComplete && h('li', {}, badge('À compléter', 'warning')),
  );
}

export function procedureBadge(p) {
  return p.closed ? badge('Fermée', 'error') : badge('Ouverte', 'success');
}

/** A client accepts tokens unless disabled by hand or by its subscription's suspension. */
export function clientBadge(c) {
  if (c.disabled) return badge('Désactivé', 'error');
  if (c.subscriptionSuspended) return badge('Abonnement suspendu', 'warning');
  return badge('Actif', 'success');
}

export function organisationHref(siret, branchCode) {
  return `/national/organisations/${encodeURIComponent(siret)}/${encodeURIComponent(branchCode)}`;
}

export function procedureHref(code) {
  return `/national/demarches/${encodeURIComponent(code)}`;
}

/** A subscription's page: the organisation's, to one procedure (one at most). */
export function subscriptionHref(siret, branchCode, processCode) {
  return `/national/abonnements/${[siret, branchCode, processCode].map(encodeURIComponent).join('/')}`;
}

/** An account's support page; `q`: the search it was found with ("Retour à la recherche"). */
export function accountHref(email, q) {
  const back = q ? `?${new URLSearchParams({ q })}` : '';
  return `/national/support/${encodeURIComponent(email)}${back}`;
}

/** Active or suspended, activated or waiting for its activation, and locked until when. */
export function accountBadges(a, formatDate) {
  return h(
    'ul',
    { class: 'fr-badges-group' },
    h('li', {}, a.active ? badge('Actif', 'success') : badge('Suspendu', 'error')),
    h('li', {}, a.activated ? badge('Activé', 'info') : badge('En attente d’activation', 'new')),
    a.lockedUntil && h('li', {}, badge(`Verrouillé jusqu’au ${formatDate(a.lockedUntil)}`, 'warning')),
  );
}

/** The API clients list filtered on one organisation. */
export function clientsHref(siret, branchCode) {
  return `/national/clients-api?${new URLSearchParams({ siret, branchCode })}`;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The contacts of an organisation (name, address, phone), one fieldset each, "Ajouter un
 * contact" and "Retirer ce contact". Behaves as one field of the form (`contacts`): `value`,
 * `problems()` (what the form checks), `setError`, `focus`.
 */
export function contactsEditor(contacts = [], { level = 3 } = {}) {
  const id = uid('contacts');
  const list = h('div', {});
  const messages = h('div', { class: 'fr-messages-group', id: `${id}-messages`, 'aria-live': 'polite' });
  const rows = [];

  function addRow(contact = {}, { focusIt = false } = {}) {
    const row = {
      name: textField({ label: 'Nom ou service', name: 'contactName', required: true, value: contact.name }),
      email: textField({
        label: 'Adresse électronique',
        name: 'contactEmail',
        type: 'email',
        required: true,
        spellcheck: 'false',
        value: contact.email,
        hint: 'Format attendu\u00a0: nom@domaine.fr',
      }),
      phone: textField({ label: 'Téléphone', name: 'contactPhone', type: 'tel', value: contact.phone }),
    };
    const legend = h('legend', { class: 'fr-fieldset__legend fr-fieldset__legend--regular' });
    row.element = h(
      'fieldset',
      { class: 'fr-fieldset hubee-contact' },
      legend,
      h('div', { class: 'fr-fieldset__element' }, row.name.element),
      h('div', { class: 'fr-fieldset__element' }, row.email.element),
      h('div', { class: 'fr-fieldset__element' }, row.phone.element),
      h(
        'div',
        { class: 'fr-fieldset__element' },
        button('Retirer ce contact', {
          kind: 'tertiary',
          size: 'sm',
          icon: 'fr-icon-delete-line',
          on: {
            click: () => {
              rows.splice(rows.indexOf(row), 1);
              row.element.remove();
              renumber();
              focus(addButton);
            },
          },
        }),
      ),
    );
    row.legend = legend;
    rows.push(row);
    list.append(row.element);
    renumber();
    if (focusIt) row.name.focus();
  }

  function renumber() {
    rows.forEach((row, i) => {
      row.legend.textContent = `Contact ${i + 1}`;
    });
    if (rows.length === 0) fill(list, h('p', { class: 'hubee-empty' }, 'Aucun contact.'));
    else list.querySelector('.hubee-empty')?.remove();
  }

  const addButton = button('Ajouter un contact', {
    kind: 'secondary',
    size: 'sm',
    icon: 'fr-icon-add-line',
    on: { click: () => addRow({}, { focusIt: true }) },
  });
  for (const contact of contacts) addRow(contact);
  renumber();

  const element = h(
    'div',
    { id, class: 'fr-mb-3w' },
    h(`h${level}`, { class: 'fr-h6' }, 'Contacts de l’organisation'),
    h('p', { class: 'fr-hint-text' }, 'Les personnes que l’équipe HubEE contacte au sujet de cette organisation.'),
    list,
    messages,
    addButton,
  );

  return {
    element,
    input: element,
    get value() {
      return rows.map((row) => ({
        name: row.name.value,
        email: row.email.value,
        ...(row.phone.value ? { phone: row.phone.value } : {}),
      }));
    },
    /** Each row's missing name or address, shown under its field; a problem for the summary. */
    problems() {
      const found = [];
      rows.forEach((row, i) => {
        row.name.setError(row.name.value ? null : 'Indiquez le nom du contact ou de son service.');
        row.email.setError(
          EMAIL.test(row.email.value) ? null : 'Saisissez une adresse valide (format attendu\u00a0: nom@domaine.fr).',
        );
        if (!row.name.value || !EMAIL.test(row.email.value)) {
          found.push({ field: 'contacts', message: `Contact ${i + 1} : nom et adresse électronique valides requis.` });
        }
      });
      return found;
    },
    setError(message) {
      fill(messages, ...(message ? [h('p', { class: 'fr-message fr-message--error' }, message)] : []));
    },
    focus() {
      const invalid = rows.find((row) => !row.name.value || !EMAIL.test(row.email.value));
      if (invalid) (invalid.name.value ? invalid.email : invalid.name).focus();
      else focus(addButton);
    },
  };
}

/** The credentials panel of a secret just issued, as the national team hands it over. */
export function issuedSecret(issued) {
  return credentialsPanel(
    {
      clientId: issued.clientId,
      clientSecret: issued.clientSecret,
      previousSecretValidUntil: issued.secrets?.find((s) => s.expires)?.expires,
    },
    {
      title: 'Secret du client API\u00a0: copiez-le maintenant',
      text: 'Transmettez l’identifiant et le secret à l’organisation par un canal sûr. Le secret ne sera plus jamais affiché\u00a0: en cas de perte, générez-en un nouveau.',
    },
  );
}
