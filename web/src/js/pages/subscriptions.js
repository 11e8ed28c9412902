// `/abonnements`: "Gestion des abonnements", the subscriptions of the organisations the person
// acts for (opérateur, démarche, n° DataPass, modalité d'accès, délégué technique, statut, dates).

import { subscriptions } from '../api.js';
import { add, h, srOnly } from '../dom.js';
import { day, plural } from '../format.js';
import { ACCESS_MODES, procedureName, subscriptionBadge } from '../labels.js';
import { can, organisationKey, user } from '../session.js';
import { alert } from '../ui/feedback.js';
import { exportControl } from '../ui/files.js';
import { pageTitle, table } from '../ui/layout.js';

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
      lead: "Les abonnements de votre service aux démarches en ligne. Un abonnement n'est visible que le lendemain de sa validation.",
    }),
  );
  if (items.length === 0) {
    add(
      view,
      alert({
        type: 'info',
        title: 'Aucun abonnement',
        text: "Votre service n'est abonné à aucune démarche : l'abonnement se demande avec le formulaire DataPass de la démarche.",
      }),
    );
    return;
  }
  const action = can.manageSubscriptions() ? 'Modifier' : 'Consulter';
  add(
    view,
    exportControl({
      read: () => subscriptions.exportCsv(),
      hint: "Un fichier pour tableur avec les abonnements de la liste : organisation, opérateur, démarche, n° DataPass, modalité d'accès, délégué technique, statut, dates, notifications.",
      fallbackName: 'abonnements.csv',
    }),
    table({
      caption: `Abonnements : ${plural(items.length, 'abonnement')}`,
      columns: [
        ...(several ? [{ label: 'Organisation' }] : []),
        { label: 'Opérateur' },
        { label: 'Démarche' },
        { label: 'N° DataPass' },
        { label: "Modalité d'accès" },
        { label: 'Délégué technique' },
        { label: 'Statut' },
        { label: "Date d'activation" },
        { label: 'Date de suspension' },
        { label: 'Actions', srOnly: true },
      ],
      rows: items.map((s) => [
        ...(several ? [nameOf(s)] : []),
        s.operator ?? '—',
        { header: procedureName(s.processCode, s.procedureTitle) },
        s.datapassId ?? '—',
        ACCESS_MODES[s.accessMode] ?? 'Non choisie',
        s.technicalDelegate ?? 'Aucun',
        subscriptionBadge(s.status),
        day(s.activateDateTime) || '—',
        day(s.endDateTime) || '—',
        h(
          'a',
          { class: 'fr-btn fr-btn--sm fr-btn--secondary', href: `/abonnements/${s.id}` },
          action,
          srOnly(` l'abonnement ${s.processCode}${several ? ` de ${nameOf(s)}` : ''}`),
        ),
      ]),
    }),
  );
}
