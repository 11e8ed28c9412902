// `/national/organisations/{siret}/{branchCode}`: one organisation. Its details and badges
// (closed, à compléter); its name and contacts edited (saving the name completes an organisation
// "à compléter"); closing it to new subscriptions and folders, or reopening it, after a
// confirmation; its subscriptions (each linked to its page, where the national team decides about
// it), the accounts acting for it (names and types only) and its API clients.

import { national } from '../../api.js';
import { add, fill, h, srOnly } from '../../dom.js';
import { dateTime } from '../../format.js';
import { ACCESS_MODES, ACTOR_TYPES, subscriptionBadge } from '../../labels.js';
import { NATIONAL_ACTOR, ORG_TYPES, SCOPES } from '../../national.js';
import { alert, errorAlert, show } from '../../ui/feedback.js';
import { button, clearProblems, form, requiredNote, showError, showProblems, textField } from '../../ui/forms.js';
import { details, list, section, table } from '../../ui/layout.js';
import { modal } from '../../ui/modal.js';
import {
  clientBadge,
  clientsHref,
  contactsEditor,
  nationalTitle,
  organisationBadges,
  procedureHref,
  subscriptionHref,
} from './common.js';

const ACTORS = { ...ACTOR_TYPES, NATIONAL_ADMIN: NATIONAL_ACTOR };

const sameContacts = (a = [], b = []) =>
  JSON.stringify(a.map((c) => [c.name, c.email, c.phone ?? ''])) ===
  JSON.stringify(b.map((c) => [c.name, c.email, c.phone ?? '']));

export async function render(view, { params, setTitle, isCurrent }) {
  const { siret, branchCode } = params;
  let org = await national.organisation(siret, branchCode);
  if (!isCurrent()) return;
  setTitle(`Organisation - ${org.name}`);

  const heading = h('span', {}, org.name);
  const messages = h('div', {});
  const infoSlot = h('div', {});
  const editSlot = h('div', {});
  const subscriptionsSlot = h('div', {});
  const accountsSlot = h('div', {});
  const clientsSlot = h('div', {});

  // --- Closing and reopening --------------------------------------------------------------------
  const closeDialog = modal({
    title: 'Fermer l’organisation',
    content: [
      h(
        'p',
        {},
        'Une organisation fermée (une commune fusionnée, un opérateur disparu) ne reçoit plus de nouvel abonnement ni de nouveau télédossier, et aucun client API ne peut plus lui être créé.',
      ),
      h('p', {}, 'Ce qu’elle détient reste consultable et continue d’être traité. Vous pourrez la rouvrir.'),
    ],
    actions: [
      button('Fermer l’organisation', { on: { click: () => setClosed(true) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => closeDialog.close() } }),
    ],
  });
  const reopenDialog = modal({
    title: 'Rouvrir l’organisation',
    content: [h('p', {}, 'L’organisation pourra de nouveau recevoir des abonnements et des télédossiers.')],
    actions: [
      button('Rouvrir l’organisation', { on: { click: () => setClosed(false) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => reopenDialog.close() } }),
    ],
  });

  async function setClosed(closed) {
    const dialog = closed ? closeDialog : reopenDialog;
    try {
      await national.updateOrganisation(siret, branchCode, { closed });
      await dialog.close();
      await reload();
      show(
        messages,
        alert({
          type: 'success',
          title: closed ? 'Organisation fermée' : 'Organisation rouverte',
          text: closed
            ? `${org.name} ne reçoit plus de nouvel abonnement ni de nouveau télédossier.`
            : `${org.name} peut de nouveau recevoir des abonnements et des télédossiers.`,
        }),
      );
    } catch (error) {
      await dialog.close();
      show(
        messages,
        errorAlert(error, {
          title: closed ? 'L’organisation n’a pas été fermée' : 'L’organisation n’a pas été rouverte',
        }),
      );
    }
  }

  /** ProConnect only, or the password and e-mailed code too, for the organisation's people. */
  async function setProConnectOnly(only) {
    try {
      await national.updateOrganisation(siret, branchCode, { proconnectOnly: only });
      await reload();
      show(
        messages,
        alert({
          type: 'success',
          title: only ? 'Connexion par ProConnect uniquement' : 'Connexion par mot de passe rétablie',
          text: only
            ? `Les comptes de ${org.name} ne se connectent plus qu’avec ProConnect.`
            : `Les comptes de ${org.name} peuvent de nouveau se connecter avec leur mot de passe.`,
        }),
      );
    } catch (error) {
      show(messages, errorAlert(error, { title: 'La connexion de l’organisation n’a pas été modifiée' }));
    }
  }

  add(
    view,
    ...nationalTitle(heading, { back: { href: '/national/organisations', label: 'Retour aux organisations' } }),
    messages,
    infoSlot,
    editSlot,
    section('Abonnements', subscriptionsSlot),
    section('Comptes', accountsSlot),
    section('Clients API', clientsSlot),
    closeDialog.element,
    reopenDialog.element,
  );

  async function reload() {
    org = await national.organisation(siret, branchCode);
    if (!isCurrent()) return;
    heading.textContent = org.name;
    setTitle(`Organisation - ${org.name}`);
    showInfo();
    showLists();
  }

  function showInfo() {
    fill(
      infoSlot,
      section(
        'Informations',
        details([
          ['SIRET', org.siret],
          ['Code établissement', org.branchCode],
          ['Type', ORG_TYPES[org.type] ?? org.type],
          ['Code opérateur', org.code],
          ['État', organisationBadges(org)],
          ['Fermée le', org.closedAt ? dateTime(org.closedAt) : null],
          ['Connexion des comptes', org.proconnectOnly ? 'ProConnect uniquement' : 'Mot de passe ou ProConnect'],
          [
            'Contacts',
            list(org.contacts.map((c) => [c.name, ` <${c.email}>`, c.phone ? `, ${c.phone}` : ''].join(''))),
          ],
        ]),
        org.toComplete &&
          alert({
            type: 'warning',
            title: 'Organisation à compléter',
            text: 'Elle a été créée par un abonnement sans que son nom soit connu. Vérifiez son nom dans l’annuaire des entreprises, puis enregistrez-le ci-dessous.',
            level: 3,
          }),
        h(
          'p',
          { class: 'fr-mt-2w' },
          org.closedAt
            ? reopenDialog.opener('Rouvrir l’organisation', {
                class: 'fr-btn--secondary fr-btn--icon-left fr-icon-lock-unlock-line',
              })
            : closeDialog.opener('Fermer l’organisation', {
                class: 'fr-btn--secondary fr-btn--icon-left fr-icon-lock-line',
              }),
          ' ',
          button(org.proconnectOnly ? 'Autoriser le mot de passe' : 'Réserver la connexion à ProConnect', {
            kind: 'tertiary',
            on: { click: () => setProConnectOnly(!org.proconnectOnly) },
          }),
        ),
      ),
    );
  }

  // --- Name and contacts --------------------------------------------------------------------------
  function showEdit() {
    const problems = h('div', {});
    const fields = {
      name: textField({ label: 'Nom', name: 'name', required: true, value: org.name, maxlength: '255' }),
      contacts: contactsEditor(org.contacts, { level: 3 }),
    };
    const submit = button('Enregistrer les modifications', { type: 'submit' });
    const edit = form(
      {
        'aria-label': 'Modifier le nom et les contacts de l’organisation',
        on: {
          submit: async (event) => {
            event.preventDefault();
            clearProblems(problems, fields);
            const found = [];
            if (!fields.name.value) found.push({ field: 'name', message: 'Indiquez le nom de l’organisation.' });
            found.push(...fields.contacts.problems());
            if (found.length) return showProblems(problems, found, fields);
            const change = {};
            // Saving the name of an organisation "à compléter" says it was checked.
            if (fields.name.value !== org.name || org.toComplete) change.name = fields.name.value;
            if (!sameContacts(fields.contacts.value, org.contacts)) change.contacts = fields.contacts.value;
            if (Object.keys(change).length === 0) {
              show(problems, alert({ type: 'info', title: 'Aucune modification à enregistrer', level: 3 }));
              return undefined;
            }
            submit.disabled = true;
            try {
              await national.updateOrganisation(siret, branchCode, change);
              await reload();
              showEdit();
              const slot = editSlot.querySelector('[data-edit-messages]');
              show(slot, alert({ type: 'success', title: 'Modifications enregistrées', level: 3 }));
            } catch (error) {
              showError(problems, error, fields);
              submit.disabled = false;
            }
            return undefined;
          },
        },
      },
      requiredNote(),
      fields.name.element,
      fields.contacts.element,
      h(
        'ul',
        { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, submit),
        h('li', {}, button('Annuler les changements', { kind: 'secondary', on: { click: showEdit } })),
      ),
    );
    problems.setAttribute('data-edit-messages', '');
    fill(editSlot, section('Modifier le nom et les contacts', problems, edit));
  }

  function showLists() {
    fill(
      subscriptionsSlot,
      org.subscriptions.length === 0
        ? h('p', { class: 'hubee-empty' }, 'L’organisation n’a aucun abonnement.')
        : table({
            caption: `Abonnements de ${org.name}`,
            captionHidden: true,
            columns: [
              { label: 'Démarche' },
              { label: 'Statut' },
              { label: 'Modalité d’accès' },
              { label: 'Actions', srOnly: true },
            ],
            rows: org.subscriptions.map((s) => [
              { header: h('a', { href: procedureHref(s.processCode) }, s.processCode) },
              subscriptionBadge(s.status),
              ACCESS_MODES[s.accessMode] ?? 'Non choisie',
              h(
                'a',
                {
                  class: 'fr-btn fr-btn--sm fr-btn--secondary',
                  href: subscriptionHref(org.siret, org.branchCode, s.processCode),
                },
                'Gérer',
                srOnly(` l’abonnement ${s.processCode}`),
              ),
            ]),
          }),
    );
    fill(
      accountsSlot,
      h(
        'p',
        { class: 'fr-hint-text' },
        'Les personnes qui agissent pour l’organisation\u00a0: noms et types seulement. Leurs comptes sont gérés par les administrateurs locaux.',
      ),
      org.accounts.length === 0
        ? h('p', { class: 'hubee-empty' }, 'Aucun compte.')
        : table({
            caption: `Comptes de ${org.name}`,
            captionHidden: true,
            columns: [{ label: 'Nom' }, { label: 'Prénom' }, { label: 'Type d’acteur' }, { label: 'Actif' }],
            rows: org.accounts.map((a) => [
              { header: a.lastName },
              a.firstName,
              ACTORS[a.actorType] ?? a.actorType,
              a.active ? 'Oui' : 'Non (suspendu)',
            ]),
          }),
    );
    fill(
      clientsSlot,
      org.apiClients.length === 0
        ? h('p', { class: 'hubee-empty' }, 'L’organisation n’a aucun client API.')
        : table({
            caption: `Clients API de ${org.name}`,
            captionHidden: true,
            columns: [{ label: 'Identifiant client' }, { label: 'Portée' }, { label: 'Démarche' }, { label: 'État' }],
            rows: org.apiClients.map((c) => [
              { header: h('span', { class: 'hubee-credential' }, c.clientId) },
              c.scopes.map((s) => SCOPES[s] ?? s).join(', '),
              c.processCode ? h('a', { href: procedureHref(c.processCode) }, c.processCode) : '—',
              clientBadge(c),
            ]),
          }),
      h(
        'ul',
        { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left fr-mt-2w' },
        h(
          'li',
          {},
          h(
            'a',
            { class: 'fr-btn fr-btn--secondary', href: clientsHref(org.siret, org.branchCode) },
            'Gérer ses clients API',
          ),
        ),
        !org.closedAt &&
          h(
            'li',
            {},
            h(
              'a',
              {
                class: 'fr-btn fr-btn--tertiary fr-icon-add-line fr-btn--icon-left',
                href: `/national/clients-api/nouveau?${new URLSearchParams({ siret: org.siret, branchCode: org.branchCode })}`,
              },
              'Créer un client API',
            ),
          ),
      ),
    );
  }

  showInfo();
  showEdit();
  showLists();
}
