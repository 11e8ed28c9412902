// `/dossiers/{id}`: one dossier. A new dossier first asks to confirm its reception (Nouveau →
// Reçu). Then: status and "Modifier le statut", the person concerned, dates, who follows it, the
// files with their sizes, "Télécharger tous les éléments" and one button per file, "Déposer une
// pièce jointe", a message to the operator, internal comments, and the full history (who did
// what, when); "Imprimer" prints it all with each file's SHA-256 (what an agent files on paper).
// An archived dossier is read-only: it says so, and offers no status change, assignment,
// deposit, message or comment.

import { dossiers } from '../api.js';
import { add, fill, h, srOnly } from '../dom.js';
import { dateTime, isoDateTime, personName, size } from '../format.js';
import { ACTIONS, actionsFrom, fileStatusBadge, statusBadge, tabOf } from '../labels.js';
import { can, lastInbox, user } from '../session.js';
import { alert, announce, errorAlert, show } from '../ui/feedback.js';
import { save } from '../ui/files.js';
import { button, clearProblems, form, radioGroup, showError, showProblems, uploadField } from '../ui/forms.js';
import { details, loading, pageTitle, section, time } from '../ui/layout.js';
import { modal } from '../ui/modal.js';
import { commentsOf, timeline } from './dossier-history.js';
import { assignmentSection, commentList, longText, messageSection, textForm } from './dossier-work.js';

/** Every file of the dossier: the operator's, then those of the events (deposits). */
function filesOf(dossier) {
  const own = (dossier.attachments ?? []).map((a) => ({ ...a, origin: 'Transmis par l’opérateur' }));
  const fromEvents = (dossier.events ?? []).flatMap((e) =>
    (e.attachments ?? []).map((a) => ({
      ...a,
      origin:
        e.transmitter?.type === 'OSL'
          ? 'Transmis par l’opérateur'
          : `Déposé par ${e.author ?? 'votre service'} le ${dateTime(e.createDateTime)}`,
    })),
  );
  return [...own, ...fromEvents];
}

export async function render(view, { params, navigate, setTitle, isCurrent }) {
  const id = params.id;
  const manages = can.manageDossiers();
  let dossier = await dossiers.read(id);
  if (!isCurrent()) return;
  // Retention archived it: it can be read (and its files downloaded) until it is deleted, not changed.
  const archived = dossier.tab === 'ARCHIVE';
  const changes = manages && !archived;
  const title = dossier.procedureTitle ?? dossier.processCode;
  setTitle(`Télédossier n° ${dossier.externalId}`);

  const statusSlot = h('div', { class: 'hubee-status fr-mb-3w' });
  const messages = h('div', {});
  const body = h('div', {});
  add(
    view,
    ...pageTitle(title, { back: { href: lastInbox(), label: 'Retour à la recherche' } }),
    h('p', { class: 'fr-text--lead fr-mb-2w' }, `Télédossier n° ${dossier.externalId}`),
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline fr-btns-group--sm fr-btns-group--icon-left hubee-no-print' },
      h(
        'li',
        {},
        button('Imprimer', {
          kind: 'tertiary',
          size: 'sm',
          icon: 'fr-icon-printer-line',
          on: { click: () => window.print() },
        }),
      ),
    ),
    statusSlot,
    messages,
    body,
  );

  const statusDialog = changeStatusDialog();
  const confirmDialog = receptionDialog();
  add(view, statusDialog.element, confirmDialog.element);

  // --- Status ---------------------------------------------------------------------------------
  function showStatus() {
    const actions = manages ? (dossier.actions ?? []) : [];
    fill(
      statusSlot,
      h('p', { class: 'fr-mb-1w' }, 'Statut actuel : ', statusBadge(dossier.tab ?? dossier.status)),
      archived &&
        h(
          'p',
          { class: 'fr-text--sm fr-mb-1w', 'data-read-only': '' },
          'Ce télédossier est archivé\u00a0: vous pouvez le consulter jusqu’à sa suppression, mais plus le modifier.',
        ),
      !dossier.receptionToConfirm &&
        actions.length > 0 &&
        statusDialog.opener('Modifier le statut', { class: 'fr-btn--secondary fr-btn--icon-left fr-icon-edit-line' }),
    );
  }

  function changeStatusDialog() {
    const problems = h('div', {});
    let choice = radioGroup({ legend: 'Nouveau statut', name: 'action', required: true, options: [] });
    const choiceSlot = h('div', {}, choice.element);
    const reason = longText({
      label: 'Motif',
      name: 'reason',
      hint: 'Obligatoire pour un refus. Il est transmis à l’opérateur, qui informe le demandeur.',
    });
    const fields = { action: choice, reason };
    const dialog = modal({
      title: 'Modifier le statut',
      content: [
        h(
          'p',
          {},
          'Chaque changement de statut est transmis à l’opérateur de la démarche, qui en informe le demandeur.',
        ),
        problems,
        form({ id: 'formulaire-statut', on: { submit: (event) => submit(event) } }, choiceSlot, reason.element),
      ],
      actions: [
        button('Enregistrer le statut', { type: 'submit', form: 'formulaire-statut' }),
        button('Annuler', { kind: 'secondary', on: { click: () => dialog.close() } }),
      ],
    });
    // The choices follow the dossier's current status: rebuilt before each opening.
    dialog.element.addEventListener('dsfr.disclose', () => {
      clearProblems(problems, fields);
      choice = radioGroup({
        legend: 'Nouveau statut',
        name: 'action',
        required: true,
        options: (dossier.actions ?? []).map((a) => ({
          value: a,
          label: ACTIONS[a]?.label ?? a,
          hint: `Le télédossier passe au statut « ${ACTIONS[a]?.target ?? a} ».`,
        })),
      });
      fields.action = choice;
      fill(choiceSlot, choice.element);
      reason.value = '';
    });
    async function submit(event) {
      event.preventDefault();
      clearProblems(problems, fields);
      const action = choice.value;
      const found = [];
      if (!action) found.push({ field: 'action', message: 'Choisissez le nouveau statut.' });
      const reasonProblem = reason.problem('reason', 'Indiquez le motif du refus.');
      if (reasonProblem && (action === 'REFUSE' || reason.value)) found.push(reasonProblem);
      if (found.length) return showProblems(problems, found, fields);
      try {
        const changed = await dossiers.act(id, action, reason.value || undefined);
        await dialog.close();
        atStatus(changed.status);
        await refresh();
        show(
          messages,
          alert({
            type: 'success',
            title: 'Statut modifié',
            text: `Le télédossier est maintenant au statut « ${ACTIONS[action].target} ». L’opérateur en est informé.`,
          }),
        );
      } catch (error) {
        showError(problems, error, fields);
      }
      return undefined;
    }
    return dialog;
  }

  // --- Reception ------------------------------------------------------------------------------
  function receptionDialog() {
    const problems = h('div', {});
    const dialog = modal({
      title: 'Confirmer la réception',
      content: [
        problems,
        h('p', {}, 'En consultant le télédossier vous confirmez sa réception par votre service au concerné.'),
        h('p', {}, 'Son statut passera de « Nouveau » à « Reçu », et l’opérateur en sera informé.'),
      ],
      actions: [
        button('Confirmer la réception', {
          on: {
            click: async () => {
              try {
                const changed = await dossiers.act(id, 'CONFIRM_RECEPTION');
                await dialog.close();
                atStatus(changed.status);
                await refresh();
                show(
                  messages,
                  alert({
                    type: 'success',
                    title: 'Réception confirmée',
                    text: 'Le télédossier est au statut « Reçu » : ses pièces jointes sont disponibles ci-dessous.',
                  }),
                );
              } catch (error) {
                show(problems, errorAlert(error, { title: 'La réception n’a pas pu être confirmée', level: 3 }));
              }
            },
          },
        }),
        button('Annuler', { kind: 'secondary', on: { click: () => navigate(lastInbox()) } }),
      ],
    });
    return dialog;
  }

  function receptionPending() {
    fill(
      body,
      h(
        'div',
        { class: 'fr-callout fr-mb-4w' },
        h('h2', { class: 'fr-callout__title' }, 'Réception à confirmer'),
        h(
          'p',
          { class: 'fr-callout__text' },
          'Confirmez la réception de ce nouveau télédossier pour consulter son contenu et ses pièces jointes.',
        ),
        confirmDialog.opener('Confirmer la réception'),
      ),
    );
  }

  // --- Content --------------------------------------------------------------------------------
  const attachmentsSlot = h('div', {});
  const historySlot = h('div', {}, loading('Chargement de l’historique…'));
  const detailsSlot = h('div', {});
  const commentsSlot = h('div', {});
  // What the procedure and the dossier allow (nothing once archived), as the page says.
  const depositForm = dossier.depositsAllowed ? depositSection() : null;
  const commentForm = commentSection();
  const assignment = assignmentSection({
    id,
    me: user()?.email,
    manages: changes,
    processCode: dossier.processCode,
    onChange: () => showHistory(),
  });
  const messageForm = dossier.messagesAllowed ? messageSection({ id, onSent: () => showHistory() }) : null;

  function showContent() {
    fill(
      body,
      h(
        'div',
        { class: 'fr-grid-row fr-grid-row--gutters' },
        h(
          'div',
          { class: 'fr-col-12 fr-col-lg-7' },
          detailsSlot,
          assignment.element,
          section('Pièces jointes', attachmentsSlot, depositForm),
          messageForm,
          commentForm,
        ),
        h('div', { class: 'fr-col-12 fr-col-lg-5' }, section('Historique', historySlot)),
      ),
    );
  }

  function showDetails() {
    const applicant = dossier.applicant ?? {};
    fill(
      detailsSlot,
      section(
        'Personne concernée',
        details([
          ['Nom et prénom', personName(applicant)],
          ['Adresse électronique', applicant.email],
        ]),
      ),
      section(
        'Informations',
        details([
          ['Démarche', `${title} (${dossier.processCode})`],
          ['N° de télédossier', dossier.externalId],
          ['Transmis le', time(isoDateTime(dossier.transmissionDateTime), dateTime(dossier.transmissionDateTime))],
          ['Mis à jour le', time(isoDateTime(dossier.updateDateTime), dateTime(dossier.updateDateTime))],
          [
            'Clos le',
            dossier.closeDateTime && time(isoDateTime(dossier.closeDateTime), dateTime(dossier.closeDateTime)),
          ],
        ]),
      ),
    );
  }

  function showAttachments() {
    const files = filesOf(dossier);
    if (files.length === 0) {
      fill(attachmentsSlot, h('p', {}, 'Aucune pièce jointe.'));
      return;
    }
    fill(
      attachmentsSlot,
      h(
        'ul',
        { class: 'hubee-files' },
        files.map((file) =>
          h(
            'li',
            { class: 'hubee-files__item', 'data-file': file.fileName },
            h(
              'div',
              {},
              h('p', { class: 'fr-text--bold fr-mb-0 hubee-files__name' }, file.fileName),
              h('p', { class: 'fr-text--sm fr-mb-0' }, `${size(file.size)} — ${file.origin}`),
              dossier.digests?.[file.id] &&
                h('p', { class: 'fr-text--xs fr-mb-0 hubee-print-only' }, `SHA-256 : ${dossier.digests[file.id]}`),
              fileStatusBadge(file.status),
            ),
            manages &&
              file.status === 'RECEIVED' &&
              button(['Télécharger', srOnly(` ${file.fileName}`)], {
                kind: 'tertiary',
                size: 'sm',
                icon: 'fr-icon-download-line',
                on: { click: () => download(() => dossiers.downloadFile(id, file.id), file.fileName) },
              }),
          ),
        ),
      ),
      manages &&
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left fr-mt-2w' },
          h(
            'li',
            {},
            button('Télécharger tous les éléments', {
              icon: 'fr-icon-download-line',
              on: { click: () => download(() => dossiers.downloadAll(id), `${dossier.externalId}.zip`) },
            }),
          ),
        ),
    );
  }

  async function download(fetchFile, fallbackName) {
    announce(`Téléchargement de ${fallbackName} en cours.`);
    try {
      save(await fetchFile(), fallbackName);
      announce(`${fallbackName} téléchargé.`);
      await refresh();
    } catch (error) {
      show(messages, errorAlert(error, { title: 'Le téléchargement n’a pas abouti' }));
    }
  }

  function depositSection() {
    const problems = h('div', {});
    const file = uploadField({
      label: 'Déposer une pièce jointe',
      name: 'file',
      hint: 'Le fichier est ajouté au télédossier et transmis à l’opérateur de la démarche.',
    });
    const submit = button('Déposer le fichier', { type: 'submit', kind: 'secondary', icon: 'fr-icon-upload-2-line' });
    return form(
      {
        class: 'fr-mt-4w',
        on: {
          submit: async (event) => {
            event.preventDefault();
            clearProblems(problems, { file });
            const chosen = file.value;
            if (!chosen)
              return showProblems(problems, [{ field: 'file', message: 'Choisissez un fichier.' }], { file });
            submit.disabled = true;
            announce(`Envoi de « ${chosen.name} » en cours.`);
            try {
              const event = await dossiers.deposit(id, chosen);
              dossier.events = [...(dossier.events ?? []), event];
              file.value = null;
              await refresh();
              show(
                messages,
                alert({
                  type: 'success',
                  title: 'Pièce jointe déposée',
                  text: `« ${chosen.name} » est ajouté au télédossier et transmis à l’opérateur.`,
                }),
              );
            } catch (error) {
              showError(problems, error, { file });
            } finally {
              submit.disabled = false;
            }
            return undefined;
          },
        },
      },
      problems,
      file.element,
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left' }, h('li', {}, submit)),
    );
  }

  function commentSection() {
    return section(
      'Commentaires internes',
      commentsSlot,
      changes &&
        textForm({
          label: 'Ajout d’un nouveau commentaire',
          name: 'text',
          hint: 'Commentaire interne, visible des agents de votre service uniquement\u00a0: il n’est pas transmis à l’opérateur.',
          empty: 'Écrivez le commentaire.',
          submitLabel: 'Ajouter le commentaire',
          send: (text) => dossiers.comment(id, text),
          done: async () => {
            await showHistory();
            showStatus();
          },
          sent: { title: 'Commentaire ajouté' },
        }),
    );
  }

  /** The dossier at a new status (after a change, a download): its badge and the actions offered. */
  function atStatus(status, updated) {
    if (updated) dossier.updateDateTime = updated;
    if (!status || status === dossier.status) return;
    dossier.status = status;
    dossier.tab = tabOf(status);
    dossier.actions = actionsFrom(status);
    dossier.receptionToConfirm = false;
  }

  /** Reads the history (which gives the current status too) and shows both. */
  async function showHistory() {
    try {
      const history = await dossiers.history(id);
      if (!isCurrent()) return;
      atStatus(history.status, history.updateDateTime);
      fill(historySlot, timeline(history.entries ?? []));
      fill(commentsSlot, commentList(commentsOf(history.entries ?? [])));
      const assigned = [...(history.entries ?? [])].reverse().find((e) => ['ASSIGNED', 'RELEASED'].includes(e.kind));
      if (assigned)
        dossier.assignee =
          assigned.kind === 'ASSIGNED' ? { email: assigned.assigneeId, name: assigned.assigneeName } : null;
      assignment.update(dossier);
    } catch (error) {
      fill(historySlot, errorAlert(error, { title: 'L’historique est indisponible', level: 3 }));
    }
  }

  /**
   * Shows the dossier after a change. The history says the status; the dossier itself is not
   * read again, since each reading is recorded as a consultation.
   */
  async function refresh() {
    await showHistory();
    if (isCurrent()) showAll();
  }

  function showAll() {
    showStatus();
    if (dossier.receptionToConfirm) {
      receptionPending();
      return;
    }
    if (!body.contains(attachmentsSlot)) showContent();
    showDetails();
    showAttachments();
  }

  showAll();
  showHistory();
  if (dossier.receptionToConfirm) confirmDialog.open();
}
