// `/national/abonnements/{siret}/{branchCode}/{processCode}`: one subscription (an organisation
// subscribes once to a procedure), found through the referential's filters, and the decisions its
// status allows: validate or refuse (with a reason) an "Inactif" one, suspend an "Actif" one,
// resume a "Suspendu" one, end either; each after a confirmation, recorded in the journal and
// e-mailed to the organisation's local administrators.

import { national } from '../../api.js';
import { add, fill, h } from '../../dom.js';
import { dateTime } from '../../format.js';
import { ACCESS_MODES, FREQUENCIES, procedureName, subscriptionBadge } from '../../labels.js';
import { DECISIONS, decisionsFor } from '../../national.js';
import { alert, show } from '../../ui/feedback.js';
import { button, buttons, clearProblems, form, showError, showProblems, textArea } from '../../ui/forms.js';
import { details, section } from '../../ui/layout.js';
import { modal } from '../../ui/modal.js';
import { nationalTitle, organisationHref, procedureHref } from './common.js';

const REASON_MAX = 1000;

/** The subscription of an organisation to a procedure, or `null`. */
async function find(siret, branchCode, processCode) {
  const { items } = await national.subscriptions({ processCode, companyRegister: siret, maxResult: 1000 });
  return items.find((s) => s.subscriber.branchCode === branchCode && s.processCode === processCode) ?? null;
}

export async function render(view, { params, setTitle, isCurrent }) {
  const { siret, branchCode, processCode } = params;
  const back = { href: '/national/abonnements', label: 'Retour aux abonnements' };
  const [found, org, procedure] = await Promise.all([
    find(siret, branchCode, processCode),
    national.organisation(siret, branchCode),
    national.procedure(processCode).catch(() => null),
  ]);
  if (!isCurrent()) return;
  if (!found) {
    add(
      view,
      ...nationalTitle('Abonnement introuvable', { back }),
      alert({
        type: 'info',
        title: 'L’organisation n’est pas abonnée à cette démarche',
        text: `${org.name} (SIRET ${siret}, code établissement ${branchCode}) n’a pas d’abonnement à la démarche ${processCode}.`,
      }),
    );
    return;
  }
  let s = found;
  const title = `Abonnement - ${org.name} - ${processCode}`;
  setTitle(title);

  const messages = h('div', {});
  const infoSlot = h('div', {});
  const decisionsSlot = h('div', {});

  // One confirmation dialog per decision, each with its reason (required to refuse).
  const dialogs = Object.fromEntries(
    Object.entries(DECISIONS).map(([code, decision]) => {
      const formId = `decision-${code.toLowerCase()}`;
      const problems = h('div', {});
      const reason = textArea({
        label: decision.needsReason ? 'Motif du refus' : 'Motif (facultatif)',
        name: 'reason',
        required: Boolean(decision.needsReason),
        maxlength: String(REASON_MAX),
        rows: 3,
        hint: `Communiqué dans l’e-mail aux administrateurs locaux. ${REASON_MAX} caractères au plus.`,
      });
      const dialog = modal({
        title: decision.button,
        content: [
          h('p', {}, `${org.name} : ${procedureName(processCode, procedure?.title)}.`),
          h('p', {}, decision.effect),
          h('p', { class: 'fr-hint-text' }, `Les administrateurs locaux de ${org.name} en sont informés par e-mail.`),
          problems,
          form(
            {
              id: formId,
              on: {
                submit: (event) => {
                  event.preventDefault();
                  decide(code, { dialog, problems, reason });
                },
              },
            },
            reason.element,
          ),
        ],
        actions: [
          button(decision.button, { type: 'submit', form: formId }),
          button('Annuler', { kind: 'secondary', on: { click: () => dialog.close() } }),
        ],
        onClose: () => {
          reason.value = '';
          clearProblems(problems, { reason });
        },
      });
      return [code, dialog];
    }),
  );

  async function decide(code, { dialog, problems, reason }) {
    const fields = { reason };
    clearProblems(problems, fields);
    if (DECISIONS[code].needsReason && !reason.value) {
      return showProblems(problems, [{ field: 'reason', message: 'Indiquez le motif du refus.' }], fields);
    }
    try {
      s = await national.decide(s.id, code, reason.value);
      await dialog.close();
      if (!isCurrent()) return undefined;
      showAll();
      show(
        messages,
        alert({
          type: 'success',
          title: DECISIONS[code].done,
          text: `Statut de l’abonnement\u00a0: ${s.status}. Les administrateurs locaux de ${org.name} en sont informés par e-mail.`,
        }),
      );
    } catch (error) {
      showError(problems, error, fields);
    }
    return undefined;
  }

  add(
    view,
    ...nationalTitle(title, { back }),
    messages,
    infoSlot,
    section('Décisions', decisionsSlot),
    Object.values(dialogs).map((d) => d.element),
  );

  function showInfo() {
    fill(
      infoSlot,
      section(
        'Informations',
        details([
          ['Organisation', h('a', { href: organisationHref(siret, branchCode) }, org.name)],
          ['SIRET', siret],
          ['Code établissement', branchCode],
          ['Démarche', h('a', { href: procedureHref(processCode) }, procedureName(processCode, procedure?.title))],
          ['Opérateur', procedure?.operator],
          ['N° DataPass', s.datapassId ?? '—'],
          ['Statut', subscriptionBadge(s.status)],
          ['Modalité d’accès', ACCESS_MODES[s.accessMode] ?? 'Non choisie'],
          ['Administrateur local', s.localAdministrator?.email ?? '—'],
          ['Délégué technique', s.delegationActor?.email ?? 'Aucun'],
          ['Adresse des notifications', s.email ?? 'Aucune'],
          ['Fréquence des notifications', FREQUENCIES[s.notificationFrequency] ?? s.notificationFrequency],
          ['Date de validation', dateTime(s.validateDateTime)],
          ['Date d’activation', dateTime(s.activateDateTime) || 'Non définie'],
          ['Date de refus', dateTime(s.rejectDateTime)],
          ['Motif du refus', s.rejectionReason],
          ['Date de fin', dateTime(s.endDateTime)],
          ['Mis à jour le', dateTime(s.updateDateTime)],
        ]),
      ),
    );
  }

  function showDecisions() {
    const fitting = decisionsFor(s);
    fill(
      decisionsSlot,
      h(
        'p',
        { class: 'fr-hint-text' },
        'Chaque décision est enregistrée dans le journal des actions nationales et envoyée par e-mail aux administrateurs locaux de l’organisation.',
      ),
      fitting.length === 0
        ? h('p', { class: 'hubee-empty' }, `Aucune décision ne s’applique à un abonnement au statut « ${s.status} ».`)
        : buttons(
            fitting.map((code, i) =>
              dialogs[code].opener(DECISIONS[code].button, { class: i > 0 ? 'fr-btn--secondary' : null }),
            ),
          ),
    );
  }

  function showAll() {
    showInfo();
    showDecisions();
  }

  showAll();
}
