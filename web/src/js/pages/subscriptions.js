// `/abonnements`: "Gestion des abonnements", the subscriptions of the organisations the person
// acts for (opérateur, démarche with its description and legal framework, n° DataPass, modalité
// d'accès, délégué technique, statut, dates).
//
// The table fits its page: its action ("Modifier", the guides' first instruction) comes first,
// its cells wrap instead of widening it, the dates share a column, and below 48em each row is
// a card whose cells name their column (`data-label`), so that nothing lies off screen at 1280
// or 375 px (the e2e walk checks it).

import { subscriptions } from '../api.js';
import { add, h, srOnly } from '../dom.js';
import { day, plural } from '../format.js';
import { ACCESS_MODES, procedureName, subscriptionBadge } from '../labels.js';
import { can, organisationKey, user } from '../session.js';
import { alert } from '../ui/feedback.js';
import { exportControl } from '../ui/files.js';
import { pageTitle, table } from '../ui/layout.js';

/** The procedure's cell: its title, then what it is and the texts it rests on, when written. */
function procedureCell(s) {
  return h(
    'div',
    { class: 'hubee-procedure' },
    h('span', { class: 'hubee-procedure__title' }, procedureName(s.processCode, s.procedureTitle)),
    s.procedureDescription && h('span', { class: 'fr-hint-text hubee-procedure__text' }, s.procedureDescription),
    s.legalFramework &&
      h('span', { class: 'fr-hint-text hubee-procedure__text' }, `Cadre juridique : ${s.legalFramework}`),
  );
}

/** Activation and suspension dates, one line each. */
function datesCell(s) {
  return h(
    'div',
    {},
    h('span', { class: 'hubee-nowrap' }, `Activation : ${day(s.activateDateTime) || '—'}`),
    h('br'),
    h('span', { class: 'hubee-nowrap' }, `Suspension : ${day(s.endDateTime) || '—'}`),
  );
}

/** Names each body cell after its column, for the card layout of small screens. */
function labelCells(element, labels) {
  for (const row of element.querySelectorAll('tbody tr')) {
    [...row.children].forEach((cell, i) => {
      if (labels[i]) cell.setAttribute('data-label', labels[i]);
    });
  }
  return element;
}

export async function render(view, { isCurrent }) {
  const { items } = await subscriptions.list();
  if (!isCurrent()) return;
  const organisations = user()?.organisations ?? [];
  const several = organisations.length > 1;
  const nameOf = (s) =>
    organisations.find((o) => organisationKey(o) === organisationKey(s.subscriber))?.name ?? s.subscriber?.siret;
  add(
    view,
    ...pageTitle('Gestion des abonnements', {
      lead: 'Les abonnements de votre service aux démarches en ligne. Un abonnement n’est visible que le lendemain de sa validation.',
    }),
  );
  if (items.length === 0) {
    add(
      view,
      alert({
        type: 'info',
        title: 'Aucun abonnement',
        text: 'Votre service n’est abonné à aucune démarche : l’abonnement se demande avec le formulaire DataPass de la démarche.',
      }),
    );
    return;
  }
  const action = can.manageSubscriptions() ? 'Modifier' : 'Consulter';
  const columns = [
    { label: 'Actions', srOnly: true },
    ...(several ? [{ label: 'Organisation' }] : []),
    { label: 'Démarche' },
    { label: 'Opérateur' },
    { label: 'Statut' },
    { label: 'Modalité d’accès' },
    { label: 'Délégué technique' },
    { label: 'N° DataPass' },
    { label: 'Dates' },
  ];
  const subscriptionsTable = table({
    caption: `Abonnements : ${plural(items.length, 'abonnement')}`,
    columns,
    rows: items.map((s) => [
      h(
        'a',
        { class: 'fr-btn fr-btn--sm fr-btn--secondary', href: `/abonnements/${s.id}` },
        action,
        srOnly(` l’abonnement ${s.processCode}${several ? ` de ${nameOf(s)}` : ''}`),
      ),
      ...(several ? [nameOf(s)] : []),
      { header: procedureCell(s) },
      s.operator ?? '—',
      subscriptionBadge(s.status),
      ACCESS_MODES[s.accessMode] ?? 'Non choisie',
      s.technicalDelegate ? h('span', { class: 'hubee-email' }, s.technicalDelegate) : 'Aucun',
      s.datapassId ?? '—',
      datesCell(s),
    ]),
  });
  subscriptionsTable.classList.add('hubee-table-cards');
  // The action cell says nothing of its column: its button names itself.
  labelCells(
    subscriptionsTable,
    columns.map((c) => (c.srOnly ? null : c.label)),
  );
  add(
    view,
    exportControl({
      read: () => subscriptions.exportCsv(),
      hint: 'Un fichier pour tableur avec les abonnements de la liste : organisation, opérateur, démarche, n° DataPass, modalité d’accès, délégué technique, statut, dates, notifications.',
      fallbackName: 'abonnements.csv',
    }),
    subscriptionsTable,
  );
}
