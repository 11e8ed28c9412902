// `/national/fusions`: commune mergers. Every dossier transmitted to the source organisation (for
// one procedure, or all it subscribes to), with its history and the source's notifications, moves
// to the target, after a confirmation naming both. The hub moves what it can in one call and says
// whether it is done: the page calls again until it is, saying how many dossiers have moved so far
// in a live region, then the final counts in a success alert.

import { national } from '../../api.js';
import { add, fill, h } from '../../dom.js';
import { procedureName } from '../../labels.js';
import { addMigration, isBranchCode, isSiret, migrationCounts } from '../../national.js';
import { alert, errorAlert, show } from '../../ui/feedback.js';
import {
  button,
  clearProblems,
  form,
  requiredNote,
  selectField,
  showError,
  showProblems,
  textField,
} from '../../ui/forms.js';
import { section } from '../../ui/layout.js';
import { modal } from '../../ui/modal.js';
import { nationalTitle } from './common.js';

/** A call moves cases for about ten seconds: this many calls is hours of work, never a merger. */
const MAX_CALLS = 500;

/** The organisation with this SIRET and branch code, or `null`. */
async function organisationOf(siret, branchCode) {
  const page = await national.organisations({ siret, limit: 100 });
  return page.items.find((o) => o.branchCode === branchCode) ?? null;
}

const named = (o) => `${o.name} (SIRET ${o.siret}, code établissement ${o.branchCode})`;

export async function render(view, { isCurrent }) {
  const procedures = await national.procedures();
  if (!isCurrent()) return;
  procedures.sort((a, b) => a.code.localeCompare(b.code));

  const fields = {
    sourceSiret: textField({
      label: 'SIRET',
      name: 'sourceSiret',
      required: true,
      inputmode: 'numeric',
      hint: '14 chiffres',
    }),
    sourceBranchCode: textField({
      label: 'Code établissement',
      name: 'sourceBranchCode',
      required: true,
      hint: '1 à 10 lettres ou chiffres',
    }),
    targetSiret: textField({
      label: 'SIRET',
      name: 'targetSiret',
      required: true,
      inputmode: 'numeric',
      hint: '14 chiffres',
    }),
    targetBranchCode: textField({
      label: 'Code établissement',
      name: 'targetBranchCode',
      required: true,
      hint: '1 à 10 lettres ou chiffres',
    }),
    processCode: selectField({
      label: 'Démarche',
      name: 'processCode',
      placeholder: 'Toutes les démarches de l’organisation source',
      hint: 'L’organisation cible doit être abonnée à chaque démarche concernée.',
      options: procedures.map((p) => ({ value: p.code, label: procedureName(p.code, p.title) })),
    }),
  };

  const problems = h('div', {});
  const messages = h('div', {});
  const progress = h('p', { class: 'fr-mb-2w', role: 'status', 'aria-live': 'polite' });
  const submit = button('Lancer la fusion', { type: 'submit' });
  let planned = null;

  // --- The confirmation ----------------------------------------------------------------------------
  const summary = h('div', {});
  const confirmDialog = modal({
    title: 'Confirmer la fusion',
    content: [
      summary,
      alert({
        type: 'warning',
        small: true,
        text: 'Les télédossiers déplacés disparaissent de la boîte de réception de l’organisation source. Une fusion ne s’annule pas.',
      }),
    ],
    actions: [
      button('Déplacer les télédossiers', { on: { click: () => run(planned) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => confirmDialog.close() } }),
    ],
  });

  function check() {
    const found = [];
    const v = (name) => fields[name].value.replace(/\s/g, '');
    for (const side of ['source', 'target']) {
      if (!isSiret(v(`${side}Siret`)))
        found.push({
          field: `${side}Siret`,
          message: 'Numéro SIRET invalide\u00a0: 14 chiffres, clé de contrôle comprise.',
        });
      if (!isBranchCode(v(`${side}BranchCode`)))
        found.push({
          field: `${side}BranchCode`,
          message: 'Code établissement invalide\u00a0: 1 à 10 lettres ou chiffres.',
        });
    }
    if (found.length === 0 && v('sourceSiret') === v('targetSiret') && v('sourceBranchCode') === v('targetBranchCode'))
      found.push({
        field: 'targetSiret',
        message: 'L’organisation cible doit être différente de l’organisation source.',
      });
    return found;
  }

  const mergeForm = form(
    {
      'aria-label': 'Fusion de communes',
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          fill(messages);
          const found = check();
          if (found.length) return showProblems(problems, found, fields);
          const v = (name) => fields[name].value.replace(/\s/g, '');
          submit.disabled = true;
          try {
            const [source, target] = await Promise.all([
              organisationOf(v('sourceSiret'), v('sourceBranchCode')),
              organisationOf(v('targetSiret'), v('targetBranchCode')),
            ]);
            const unknown = 'Aucune organisation n’a ce SIRET et ce code établissement.';
            const missing = [
              !source && { field: 'sourceSiret', message: unknown },
              !target && { field: 'targetSiret', message: unknown },
            ].filter(Boolean);
            if (missing.length) return showProblems(problems, missing, fields);
            const code = fields.processCode.value;
            const procedure = procedures.find((p) => p.code === code);
            planned = {
              source,
              target,
              processCode: code || null,
              scope: procedure
                ? `la démarche ${procedureName(procedure.code, procedure.title)}`
                : 'toutes ses démarches',
            };
            fill(
              summary,
              h(
                'p',
                {},
                'Tous les télédossiers transmis à ',
                h('strong', {}, named(source)),
                ` pour ${planned.scope}, avec leur historique et les notifications de la source, iront à `,
                h('strong', {}, named(target)),
                '.',
              ),
            );
            await confirmDialog.open();
          } catch (error) {
            showError(problems, error, fields);
          } finally {
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      [
        ['source', 'Organisation source', 'La commune fusionnée, dont les télédossiers partent'],
        ['target', 'Organisation cible', 'La commune nouvelle, qui les reçoit\u00a0: un service instructeur ouvert'],
      ].map(([side, legend, hint]) =>
        h(
          'div',
          { class: 'fr-col-12 fr-col-md-6' },
          h(
            'fieldset',
            { class: 'fr-fieldset' },
            h('legend', { class: 'fr-fieldset__legend' }, legend, h('span', { class: 'fr-hint-text' }, hint)),
            h('div', { class: 'fr-fieldset__element' }, fields[`${side}Siret`].element),
            h('div', { class: 'fr-fieldset__element' }, fields[`${side}BranchCode`].element),
          ),
        ),
      ),
    ),
    fields.processCode.element,
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' }, h('li', {}, submit)),
  );

  add(
    view,
    ...nationalTitle('Fusions de communes', {
      lead: 'Quand des communes fusionnent, les télédossiers transmis à une commune fusionnée passent à la commune nouvelle.',
    }),
    alert({
      type: 'warning',
      title: 'Une opération définitive',
      text: 'La fusion déplace chaque télédossier transmis à l’organisation source (pour la démarche choisie, ou pour toutes ses démarches), avec son historique et les notifications de la source, vers l’organisation cible\u00a0: la source ne les voit plus. Elle ne s’annule pas (la fusion inverse déplacerait aussi les télédossiers propres à la cible). Restez sur la page jusqu’à la fin\u00a0: si vous la quittez, la fusion s’arrête, et la relancer reprend où elle s’était arrêtée.',
    }),
    messages,
    problems,
    section('Organisations et démarche', mergeForm),
    section('Avancement', progress),
    confirmDialog.element,
  );
  progress.textContent = 'Aucune fusion en cours.';

  async function run(plan) {
    await confirmDialog.close();
    submit.disabled = true;
    fill(messages);
    const body = {
      source: { siret: plan.source.siret, branchCode: plan.source.branchCode },
      target: { siret: plan.target.siret, branchCode: plan.target.branchCode },
      ...(plan.processCode ? { processCode: plan.processCode } : {}),
    };
    let total = { caseUpdated: 0, notificationsUpdated: 0, done: false, calls: 0 };
    progress.textContent = 'Fusion en cours…';
    try {
      while (!total.done && total.calls < MAX_CALLS) {
        total = addMigration(total, await national.migrate(body));
        if (!isCurrent()) return;
        progress.textContent = total.done
          ? `Fusion terminée\u00a0: ${migrationCounts(total)}.`
          : `Fusion en cours\u00a0: ${migrationCounts(total)} jusqu’ici…`;
      }
      show(
        messages,
        total.done
          ? alert({
              type: 'success',
              title: 'Fusion terminée',
              text: `De ${named(plan.source)} vers ${named(plan.target)}, pour ${plan.scope} : ${migrationCounts(total)}.`,
            })
          : alert({
              type: 'warning',
              title: 'La fusion n’est pas terminée',
              text: `${migrationCounts(total)} jusqu’ici. Relancez-la\u00a0: elle reprend où elle s’est arrêtée.`,
            }),
      );
    } catch (error) {
      if (!isCurrent()) return;
      progress.textContent = `Fusion interrompue\u00a0: ${migrationCounts(total)}.`;
      const alertElement = errorAlert(error, { title: 'La fusion n’a pas abouti' });
      if (total.calls > 0)
        alertElement.append(
          h('p', {}, 'Ce qui a été déplacé l’est pour de bon\u00a0; relancez la fusion pour déplacer le reste.'),
        );
      show(messages, alertElement);
    } finally {
      submit.disabled = false;
    }
  }
}
