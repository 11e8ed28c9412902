// `/national/demarches/{code}`: one procedure. Its details and rules; every rule editable (only
// what changed is sent); closing it to new folders, or reopening it, after a confirmation.

import { procedureName } from '../../labels.js';
import { national } from '../../api.js';
import { add, fill, h } from '../../dom.js';
import { plural, size } from '../../format.js';
import { PURGE_STATUSES, RETENTION_DEFAULTS, STATUS_POLICIES } from '../../national.js';
import { alert, errorAlert, show } from '../../ui/feedback.js';
import { button, clearProblems, form, showError, showProblems } from '../../ui/forms.js';
import { details, list, section } from '../../ui/layout.js';
import { modal } from '../../ui/modal.js';
import { nationalTitle, procedureBadge } from './common.js';
import { operators, procedureFields } from './procedure-form.js';

const yesNo = (value) => (value ? 'Oui' : 'Non');

export async function render(view, { params, setTitle, isCurrent }) {
  const code = params.code;
  let [p, operatorList] = await Promise.all([national.procedure(code), operators()]);
  if (!isCurrent()) return;
  // The code too: procedures are known by it (CERTDC) as much as by their title.
  const headingOf = (procedure) => `Démarche ${procedureName(procedure.code ?? code, procedure.title)}`;
  setTitle(headingOf(p));

  const heading = h('span', {}, headingOf(p));
  const messages = h('div', {});
  const infoSlot = h('div', {});
  const editSlot = h('div', {});

  const closeDialog = modal({
    title: 'Fermer la démarche',
    content: [
      h(
        'p',
        {},
        'Une démarche fermée ne reçoit plus de nouveau dépôt\u00a0: l’opérateur qui en envoie un reçoit une erreur.',
      ),
      h(
        'p',
        {},
        'Les télédossiers déjà reçus restent consultables et continuent d’être traités. Vous pourrez la rouvrir.',
      ),
    ],
    actions: [
      button('Fermer la démarche', { on: { click: () => setClosed(true) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => closeDialog.close() } }),
    ],
  });
  const reopenDialog = modal({
    title: 'Rouvrir la démarche',
    content: [h('p', {}, 'L’opérateur pourra de nouveau déposer des télédossiers pour cette démarche.')],
    actions: [
      button('Rouvrir la démarche', { on: { click: () => setClosed(false) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => reopenDialog.close() } }),
    ],
  });

  async function setClosed(closed) {
    const dialog = closed ? closeDialog : reopenDialog;
    try {
      p = await national.updateProcedure(code, { closed });
      await dialog.close();
      showInfo();
      show(
        messages,
        alert({
          type: 'success',
          title: closed ? 'Démarche fermée' : 'Démarche rouverte',
          text: closed
            ? `${procedureName(p.code ?? code, p.title)} ne reçoit plus de nouveau télédossier.`
            : `${procedureName(p.code ?? code, p.title)} reçoit de nouveau des télédossiers.`,
        }),
      );
    } catch (error) {
      await dialog.close();
      show(
        messages,
        errorAlert(error, { title: closed ? 'La démarche n’a pas été fermée' : 'La démarche n’a pas été rouverte' }),
      );
    }
  }

  add(
    view,
    ...nationalTitle(heading, { back: { href: '/national/demarches', label: 'Retour aux démarches' } }),
    messages,
    infoSlot,
    editSlot,
    closeDialog.element,
    reopenDialog.element,
  );

  function retentionText() {
    const r = p.retention ?? {};
    const days = (name) =>
      `${plural(r[name] ?? RETENTION_DEFAULTS[name], 'jour')}${r[name] === undefined ? ' (par défaut)' : ''}`;
    const from = PURGE_STATUSES[r.purgeAfterStatus ?? RETENTION_DEFAULTS.purgeAfterStatus];
    return list([
      `Purge des pièces jointes\u00a0: ${days('purgeDelayDays')} après le statut « ${from} »`,
      `Archivage\u00a0: ${days('archiveDelayDays')} après la clôture`,
      `Suppression\u00a0: ${days('deleteDelayDays')} après l’archivage`,
    ]);
  }

  function showInfo() {
    const formats = (types) => (types.length ? list(types) : 'Tous');
    fill(
      infoSlot,
      section(
        'Informations',
        details([
          ['Code', p.code],
          ['Intitulé', p.title],
          ['Opérateur', p.operator],
          ['État', procedureBadge(p)],
          ['Description', p.description],
          ['Cadre juridique', p.legalFramework],
          ['Contrôle des statuts', STATUS_POLICIES[p.statusPolicy] ?? p.statusPolicy],
          ['Dépôts des services instructeurs', yesNo(p.instructingDeposits)],
          ['Demande de compléments', yesNo(p.awaitingComplements)],
          ['Messages', yesNo(p.messages)],
          ['Démarche sensible (double authentification)', yesNo(p.sensitive)],
          ['Taille maximale (pièces de l’opérateur)', size(p.maxAttachmentSize)],
          ['Formats acceptés (pièces de l’opérateur)', formats(p.allowedMimeTypes)],
          ['Taille maximale (dépôts des services)', size(p.instructingMaxAttachmentSize)],
          ['Formats acceptés (dépôts des services)', formats(p.instructingAllowedMimeTypes)],
          ['Conservation', retentionText()],
        ]),
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left fr-mt-2w' },
          h(
            'li',
            {},
            p.closed
              ? reopenDialog.opener('Rouvrir la démarche', {
                  class: 'fr-btn--secondary fr-btn--icon-left fr-icon-lock-unlock-line',
                })
              : closeDialog.opener('Fermer la démarche', {
                  class: 'fr-btn--secondary fr-btn--icon-left fr-icon-lock-line',
                }),
          ),
          h(
            'li',
            {},
            h(
              'a',
              {
                class: 'fr-btn fr-btn--tertiary',
                href: `/national/clients-api?${new URLSearchParams({ processCode: p.code })}`,
              },
              'Ses clients API',
            ),
          ),
        ),
      ),
    );
  }

  function showEdit() {
    const problems = h('div', {});
    const built = procedureFields({ procedure: p, operatorList, level: 3 });
    const submit = button('Enregistrer les modifications', { type: 'submit' });
    const edit = form(
      {
        'aria-label': 'Modifier la démarche',
        on: {
          submit: async (event) => {
            event.preventDefault();
            clearProblems(problems, built.fields);
            const found = built.problems();
            if (found.length) return showProblems(problems, found, built.fields);
            const change = built.changes();
            if (Object.keys(change).length === 0) {
              show(problems, alert({ type: 'info', title: 'Aucune modification à enregistrer', level: 3 }));
              return undefined;
            }
            submit.disabled = true;
            try {
              p = await national.updateProcedure(code, change);
              heading.textContent = headingOf(p);
              setTitle(headingOf(p));
              showInfo();
              showEdit();
              show(
                editSlot.querySelector('[data-edit-messages]'),
                alert({
                  type: 'success',
                  title: 'Modifications enregistrées',
                  text: 'Elles s’appliquent dès maintenant aux nouveaux échanges de la démarche.',
                  level: 3,
                }),
              );
            } catch (error) {
              showError(problems, error, built.fields);
              submit.disabled = false;
            }
            return undefined;
          },
        },
      },
      h(
        'p',
        { class: 'fr-hint-text' },
        'Les champs marqués d’un astérisque (*) sont obligatoires. Seul ce qui change est enregistré.',
      ),
      built.groups,
      h(
        'ul',
        { class: 'fr-btns-group fr-btns-group--inline-md fr-mt-4w' },
        h('li', {}, submit),
        h('li', {}, button('Annuler les changements', { kind: 'secondary', on: { click: showEdit } })),
      ),
    );
    problems.setAttribute('data-edit-messages', '');
    fill(editSlot, section('Modifier la démarche', problems, edit));
  }

  showInfo();
  showEdit();
}
