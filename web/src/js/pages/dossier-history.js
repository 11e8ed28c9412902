// A dossier's history in words ("Historique"), and its internal comments apart: who did what,
// when — consecutive consultations by one person are one line, with how many and the last one.

import { h } from '../dom.js';
import { dateTime, isoDateTime, size } from '../format.js';
import { statusLabel } from '../labels.js';
import { time } from '../ui/layout.js';

/** Who did it: the person's name (known from another entry when this one has only the address), else its address, else the side it is on. */
function who(entry, names) {
  if (entry.author) return entry.author;
  if (entry.actorId) return names.get(entry.actorId) ?? entry.actorId;
  return entry.by?.type === 'OSL' ? 'L’opérateur' : 'Votre service';
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
      return ['Création du télédossier par l’opérateur'];
    case 'TRANSMITTED':
      return ['Transmission au service instructeur'];
    case 'STATUS':
      return [`Statut modifié de « ${statusLabel(entry.from)} » à « ${statusLabel(entry.to)} »`];
    case 'CONSULTED':
      return [entry.times > 1 ? `Consultation du télédossier (${entry.times} fois)` : 'Consultation du télédossier'];
    case 'DOWNLOADED':
      return [`Téléchargement du fichier « ${entry.fileName ?? ''} »`];
    case 'DOWNLOADED_ALL':
      return ['Téléchargement de tous les éléments'];
    case 'ATTACHMENT_QUARANTINED':
      return [
        `Fichier « ${entry.fileName ?? ''} » rejeté par l’antivirus : il ne peut pas être téléchargé`,
        entry.signature && h('p', { class: 'fr-mb-0 fr-text--sm' }, `Signature détectée : ${entry.signature}`),
      ];
    case 'ATTACHMENT_PURGED':
      return [`Suppression du fichier « ${entry.fileName ?? ''} » (durée de conservation écoulée)`];
    case 'COMMENT':
      return ['Commentaire interne', h('blockquote', { class: 'hubee-comment' }, entry.text)];
    case 'ASSIGNED':
      return entry.assigneeId === entry.actorId
        ? [`Télédossier pris en charge par ${entry.assigneeName}`]
        : [`Télédossier attribué à ${entry.assigneeName}`];
    case 'RELEASED':
      return [`${entry.assigneeName} ne suit plus le télédossier`];
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
          ? `Mise à jour de l’opérateur : statut « ${statusLabel(e.caseNewStatus)} »`
          : `Statut « ${statusLabel(e.caseNewStatus)} » transmis à l’opérateur`,
        e.message && h('p', { class: 'fr-mb-0' }, `Motif : ${e.message}`),
      ];
    case 'ATTACH_DEPOSIT':
      return [
        fromOperator ? 'Nouvelles pièces de l’opérateur' : 'Dépôt de pièce jointe, transmise à l’opérateur',
        fileList(e.attachments),
      ];
    case 'SENDING_MESSAGE':
      return [
        fromOperator ? 'Message de l’opérateur' : 'Message envoyé à l’opérateur',
        e.message && h('blockquote', { class: 'hubee-comment' }, e.message),
      ];
    case 'ATTACH_DL_ALL':
      return ['Téléchargement de tous les éléments'];
    case 'ATTACH_DL':
      return ['Téléchargement d’une pièce jointe', e.message && h('p', { class: 'fr-mb-0' }, e.message)];
    default:
      return [
        `Événement ${e.actionType ?? ''}`.trim(),
        e.message && h('p', { class: 'fr-mb-0' }, e.message),
        fileList(e.attachments),
      ];
  }
}

/**
 * The entries with each run of consultations by one person as one entry (`times`, the last one's
 * date): every page view is recorded, and ten of them in a row say nothing more than one.
 */
export function collapseConsultations(entries) {
  const out = [];
  for (const entry of entries) {
    const last = out[out.length - 1];
    if (entry.kind === 'CONSULTED' && last?.kind === 'CONSULTED' && last.actorId === entry.actorId) {
      out[out.length - 1] = { ...entry, times: (last.times ?? 1) + 1 };
    } else {
      out.push(entry);
    }
  }
  return out;
}

/** The internal comments, newest first. */
export function commentsOf(entries) {
  return entries.filter((e) => e.kind === 'COMMENT').reverse();
}

export function timeline(all) {
  const entries = collapseConsultations(all);
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
