// `/dossiers/{id}`: one dossier. A new dossier first asks to confirm its reception (Nouveau →
// Reçu). Then: status and "Modifier le statut", the person concerned, dates, the files with
// their sizes, "Télécharger tous les éléments" and one button per file, "Déposer une pièce
// jointe", internal comments, and the full history (who did what, when).

import { dossiers } from '../api.js';
import { add, fill, h, srOnly } from '../dom.js';
import { dateTime, isoDateTime, personName, size } from '../format.js';
import { ACTIONS, actionsFrom, fileStatusBadge, statusBadge, statusLabel, tabOf } from '../labels.js';
import { can, lastInbox } from '../session.js';
import { alert, announce, errorAlert, show } from '../ui/feedback.js';
import { save } from '../ui/files.js';
import {
  button,
  clearProblems,
  form,
  radioGroup,
  showError,
  showProblems,
  textArea,
  uploadField,
} from '../ui/forms.js';
import { details, loading, pageTitle, section, time } from '../ui/layout.js';
import { modal } from '../ui/modal.js';

const MAX_TEXT = 1000;

/** Who did it: the person's name (known from another entry when this one has only the address), else its address, else the side it is on. */
function who(entry, names) {
  if (entry.author) return entry.author;
  if (entry.actorId) return names.get(entry.actorId) ?? entry.actorId;
  return entry.by?.type === 'OSL' ? "L'opérateur" : 'Votre service';
}

function fileList(files) {
  if (!files?.length) return null;
  return h(
    'ul',
    { class: 'hubee-plain-list' },
    files.map((f) => h('li', {}, `${f.fileName} (${size(f.size)})`)),
  );
}

/** One history entry in words: `[what, more]`. */
function describe(entry) {
  switch (entry.kind) {
    case 'CREATED':
      return ["Création du télédossier par l'opérateur"];
    case 'TRANSMITTED':
      return ['Transmission au service instructeur'];
    case 'STATUS':
      return [`Statut modifié de « ${statusLabel(entry.from)} » à « ${statusLabel(entry.to)} »`];
    case 'CONSULTED':
      return ['Consultation du télédossier'];
    case 'DOWNLOADED':
      return [`Téléchargement du fichier « ${entry.fileName ?? ''} »`];
    case 'DOWNLOADED_ALL':
      return ['Téléchargement de tous les éléments'];
    case 'ATTACHMENT_QUARANTINED':
      return [
        `Fichier « ${entry.fileName ?? ''} » rejeté par l'antivirus : il ne peut pas être téléchargé`,
        entry.signature && h('p', { class: 'fr-mb-0 fr-text--sm' }, `Signature détectée : ${entry.signature}`),
      ];
    case 'ATTACHMENT_PURGED':
      return [`Suppression du fichier « ${entry.fileName ?? ''} » (durée de conservation écoulée)`];
    case 'COMMENT':
      return ['Commentaire interne', h('blockquote', { class: 'hubee-comment' }, entry.text)];
    case 'EVENT':
      return describeEvent(entry);
    default:
      return [entry.kind];
  }
}

function describeEvent(e) {
  const fromOperator = e.by?.type === 'OSL';
  switch (e.actionType) {
    case 'STATUS_UPDATE':
      return [
        fromOperator
          ? `Mise à jour de l'opérateur : statut « ${statusLabel(e.caseNewStatus)} »`
          : `Statut « ${statusLabel(e.caseNewStatus)} » transmis à l'opérateur`,
        e.message && h('p', { class: 'fr-mb-0' }, `Motif : ${e.message}`),
      ];
    case 'ATTACH_DEPOSIT':
      return [
        fromOperator ? "Nouvelles pièces de l'opérateur" : "Dépôt de pièce jointe, transmise à l'opérateur",
        fileList(e.attachments),
      ];
    case 'ATTACH_DL_ALL':
      return ['Téléchargement de tous les éléments'];
    case 'ATTACH_DL':
      return ["Téléchargement d'une pièce jointe", e.message && h('p', { class: 'fr-mb-0' }, e.message)];
    default:
      return [
        `Événement ${e.actionType ?? ''}`.trim(),
        e.message && h('p', { class: 'fr-mb-0' }, e.message),
        fileList(e.attachments),
      ];
  }
}

function timeline(entries) {
  if (!entries.length) return h('p', {}, 'Aucun élément.');
  const names = new Map(entries.filter((e) => e.actorId && e.author).map((e) => [e.actorId, e.author]));
  return h(
    'ol',
    { class: 'hubee-timeline' },
    entries.map((entry) => {
      const [what, ...more] = describe(entry);
      return h(
        'li',
        { class: 'hubee-timeline__entry', 'data-kind': entry.kind },
        h('p', { class: 'hubee-timeline__what fr-mb-1v' }, what),
        more,
        h(
          'p',
          { class: 'hubee-timeline__when fr-text--sm fr-mb-0' },
          time(isoDateTime(entry.dateTime), dateTime(entry.dateTime)),
          ` — ${who(entry, names)}`,
        ),
      );
    }),
  );
}

/** Every file of the dossier: the operator's, then those of the events (deposits). */
function filesOf(dossier) {
  const own = (dossier.attachments ?? []).map((a) => ({ ...a, origin: "Transmis par l'opérateur" }));
  const fromEvents = (dossier.events ?? []).flatMap((e) =>
    (e.attachments ?? []).map((a) => ({
      ...a,
      origin:
        e.transmitter?.type === 'OSL'
          ? "Transmis par l'opérateur"
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
  const title = dossier.procedureTitle ?? dossier.processCode;
  setTitle(`Télédossier n° ${dossier.externalId}`);

  const statusSlot = h('div', { class: 'hubee-status fr-mb-3w' });
  const messages = h('div', {});
  const body = h('div', {});
  add(
    view,
    ...pageTitle(title, { back: { href: lastInbox(), label: 'Retour à la recherche' } }),
    h('p', { class: 'fr-text--lead fr-mb-2w' }, `Télédossier n° ${dossier.externalId}`),
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
      h('p', { class: 'fr-mb-1w' }, 'Statut actuel : ', statusBadge(dossier.tab ?? dossier.status)),
      !dossier.receptionToConfirm &&
        actions.length > 0 &&
        statusDialog.opener('Modifier le statut', { class: 'fr-btn--secondary fr-btn--icon-left fr-icon-edit-line' }),
    );
  }

  function changeStatusDialog() {
    const problems = h('div', {});
    let choice = radioGroup({ legend: 'Nouveau statut', name: 'action', required: true, options: [] });
    const choiceSlot = h('div', {}, choice.element);
    const reason = textArea({
      label: 'Motif',
      name: 'reason',
      maxlength: String(MAX_TEXT),
      hint: "Obligatoire pour un refus. Il est transmis à l'opérateur, qui informe le demandeur.",
    });
    const fields = { action: choice, reason };
    const dialog = modal({
      title: 'Modifier le statut',
      content: [
        h(
          'p',
          {},
          "Chaque changement de statut est transmis à l'opérateur de la démarche, qui en informe le demandeur.",
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
      if (action === 'REFUSE' && !reason.value) found.push({ field: 'reason', message: 'Indiquez le motif du refus.' });
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
            text: `Le télédossier est maintenant au statut « ${ACTIONS[action].target} ». L'opérateur en est informé.`,
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
        h('p', {}, "Son statut passera de « Nouveau » à « Reçu », et l'opérateur en sera informé."),
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
                show(problems, errorAlert(error, { title: "La réception n'a pas pu être confirmée", level: 3 }));
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
  const historySlot = h('div', {}, loading("Chargement de l'historique…"));
  const detailsSlot = h('div', {});
  const depositForm = manages ? depositSection() : null;
  const commentForm = manages ? commentSection() : null;

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
          section('Pièces jointes', attachmentsSlot, depositForm),
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
      show(messages, errorAlert(error, { title: "Le téléchargement n'a pas abouti" }));
    }
  }

  function depositSection() {
    const problems = h('div', {});
    const file = uploadField({
      label: 'Déposer une pièce jointe',
      name: 'file',
      hint: "Le fichier est ajouté au télédossier et transmis à l'opérateur de la démarche.",
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
                  text: `« ${chosen.name} » est ajouté au télédossier et transmis à l'opérateur.`,
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
    const problems = h('div', {});
    const text = textArea({
      label: "Ajout d'un nouveau commentaire",
      name: 'text',
      maxlength: String(MAX_TEXT),
      hint: "Commentaire interne, visible des agents de votre service uniquement : il n'est pas transmis à l'opérateur. 1 000 caractères au plus.",
    });
    const submit = button('Ajouter le commentaire', { type: 'submit', kind: 'secondary' });
    return section(
      'Commentaires internes',
      problems,
      form(
        {
          on: {
            submit: async (event) => {
              event.preventDefault();
              clearProblems(problems, { text });
              if (!text.value)
                return showProblems(problems, [{ field: 'text', message: 'Écrivez le commentaire.' }], { text });
              submit.disabled = true;
              try {
                await dossiers.comment(id, text.value);
                text.value = '';
                await showHistory();
                showStatus();
                show(
                  problems,
                  alert({
                    type: 'success',
                    title: 'Commentaire ajouté',
                    text: "Il figure dans l'historique du télédossier.",
                    level: 3,
                  }),
                );
              } catch (error) {
                showError(problems, error, { text });
              } finally {
                submit.disabled = false;
              }
              return undefined;
            },
          },
        },
        text.element,
        h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' }, h('li', {}, submit)),
      ),
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
    } catch (error) {
      fill(historySlot, errorAlert(error, { title: "L'historique est indisponible", level: 3 }));
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
