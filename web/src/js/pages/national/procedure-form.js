// The fields of a procedure, shared by "Créer une démarche" and a procedure's page: its texts,
// its operator, and every rule (status policy; what instructing services may do; sizes in Mo and
// formats, per emitter; retention in days). Empty fields take the hub's defaults, said in hints.

import { national } from '../../api.js';
import { h } from '../../dom.js';
import { size } from '../../format.js';
import {
  MAX_DELAY_DAYS,
  PURGE_STATUSES,
  RETENTION_DEFAULTS,
  STATUS_POLICIES,
  isMimeType,
  isProcessCode,
  megabytes,
  mimeTypes,
  parseDays,
  parseMegabytes,
} from '../../national.js';
import { checkboxGroup, radioGroup, selectField, textArea, textField } from '../../ui/forms.js';

const RULES = [
  {
    value: 'instructingDeposits',
    label: 'Les services instructeurs peuvent déposer des pièces jointes',
    hint: 'Dans le portail ou par leur logiciel métier (ATTACH_DEPOSIT)',
  },
  {
    value: 'awaitingComplements',
    label: 'Les services instructeurs peuvent demander des compléments',
    hint: 'Statut « En attente de compléments » (ADD_AWAITING)',
  },
  { value: 'messages', label: 'L’opérateur et les services peuvent échanger des messages', hint: 'SENDING_MESSAGE' },
  {
    value: 'sensitive',
    label: 'Démarche sensible\u00a0: les agents habilités se connectent avec une double authentification',
    hint: 'Par exemple la protection de l’enfance (SNATED), quand ils passent par ProConnect',
    off: true,
  },
];

const RETENTION_DAYS = [
  ['purgeDelayDays', 'Purge des pièces jointes, en jours', 'après le statut choisi ci-dessus'],
  ['archiveDelayDays', 'Archivage, en jours', 'après la clôture du télédossier (traité, refusé ou clos)'],
  ['deleteDelayDays', 'Suppression, en jours', 'après l’archivage du dernier télédossier du dépôt'],
];

/** The operators a procedure may name: every OSL organisation, `[{code, name, closed}]`. */
export async function operators() {
  const found = [];
  let cursor;
  do {
    const page = await national.organisations({ type: 'OSL', limit: 500, cursor });
    found.push(
      ...page.items.filter((o) => o.code).map((o) => ({ code: o.code, name: o.name, closed: Boolean(o.closedAt) })),
    );
    cursor = page.nextCursor;
  } while (cursor);
  return found.sort((a, b) => a.code.localeCompare(b.code));
}

const lines = (list) => (list ?? []).join('\n');
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields, filled from `procedure` (a procedure's page) or empty (creation, with `withCode`).
 * Returns `{fields, groups, problems(), body(), changes()}`: `groups` are the form's parts
 * (`texts`, `rules`, `files`, `retention`) with their headings at `level`; `body()` what a
 * creation sends; `changes()` only what differs from `procedure`.
 */
export function procedureFields({ procedure = null, operatorList = [], withCode = false, level = 2 }) {
  const p = procedure;
  const options = operatorList.map((o) => ({
    value: o.code,
    label: `${o.code} - ${o.name}${o.closed ? ' (fermée)' : ''}`,
  }));
  if (p && !options.some((o) => o.value === p.operator)) options.push({ value: p.operator, label: p.operator });

  const fields = {
    code: withCode
      ? textField({
          label: 'Code de la démarche',
          name: 'code',
          required: true,
          maxlength: '30',
          spellcheck: 'false',
          hint: 'Le code que les opérateurs envoient (par exemple CERTDC)\u00a0: 1 à 30 lettres, chiffres, _ ou -. Il ne change plus ensuite.',
        })
      : null,
    title: textField({ label: 'Intitulé', name: 'title', required: true, maxlength: '255', value: p?.title }),
    operator: selectField({
      label: 'Opérateur',
      name: 'operator',
      required: true,
      placeholder: 'Choisir un opérateur',
      value: p?.operator ?? '',
      options,
      hint: 'L’organisation opérateur (OSL) qui envoie les télédossiers de la démarche',
    }),
    description: textArea({
      label: 'Description',
      name: 'description',
      value: p?.description,
      maxlength: '4000',
      hint: 'Ce qu’est la démarche, montré aux organisations abonnées',
    }),
    legalFramework: textArea({
      label: 'Cadre juridique',
      name: 'legalFramework',
      value: p?.legalFramework,
      maxlength: '4000',
      rows: 2,
      hint: 'Les textes sur lesquels elle repose',
    }),
    statusPolicy: radioGroup({
      legend: 'Contrôle des changements de statut',
      name: 'statusPolicy',
      required: true,
      value: p?.statusPolicy ?? 'compatible',
      options: Object.entries(STATUS_POLICIES).map(([value, label]) => ({ value, label })),
    }),
    rules: checkboxGroup({
      legend: 'Ce que la démarche permet',
      name: 'rules',
      values: RULES.filter((r) => (p ? p[r.value] : !r.off)).map((r) => r.value),
      options: RULES.map(({ off, ...option }) => option),
    }),
    maxAttachmentSize: textField({
      label: 'Taille maximale d’une pièce jointe de l’opérateur, en Mo',
      name: 'maxAttachmentSize',
      inputmode: 'decimal',
      value: p ? megabytes(p.maxAttachmentSize) : '',
      hint: `1 Go = 1024 Mo. Vide\u00a0: la valeur par défaut (1 Go).${p ? ` Actuellement : ${size(p.maxAttachmentSize)}.` : ''}`,
    }),
    allowedMimeTypes: textArea({
      label: 'Formats acceptés de l’opérateur (types MIME)',
      name: 'allowedMimeTypes',
      rows: 3,
      spellcheck: 'false',
      value: lines(p?.allowedMimeTypes),
      hint: 'Un type par ligne, par exemple application/pdf. Vide\u00a0: tous les formats.',
    }),
    instructingMaxAttachmentSize: textField({
      label: 'Taille maximale d’un dépôt des services instructeurs, en Mo',
      name: 'instructingMaxAttachmentSize',
      inputmode: 'decimal',
      value: p ? megabytes(p.instructingMaxAttachmentSize) : '',
      hint: `Vide\u00a0: la taille maximale de l’opérateur.${p ? ` Actuellement : ${size(p.instructingMaxAttachmentSize)}.` : ''}`,
    }),
    instructingAllowedMimeTypes: textArea({
      label: 'Formats acceptés des services instructeurs (types MIME)',
      name: 'instructingAllowedMimeTypes',
      rows: 3,
      spellcheck: 'false',
      value: lines(p?.instructingAllowedMimeTypes),
      hint: 'Un type par ligne. Vide\u00a0: les formats de l’opérateur.',
    }),
    purgeAfterStatus: selectField({
      label: 'Statut à partir duquel la purge des pièces jointes est décomptée',
      name: 'purgeAfterStatus',
      placeholder: `Par défaut\u00a0: ${PURGE_STATUSES[RETENTION_DEFAULTS.purgeAfterStatus]}`,
      value: p?.retention?.purgeAfterStatus ?? '',
      options: Object.entries(PURGE_STATUSES).map(([value, label]) => ({ value, label })),
    }),
  };
  for (const [name, label, after] of RETENTION_DAYS) {
    fields[name] = textField({
      label,
      name,
      inputmode: 'numeric',
      value: p?.retention?.[name] ?? '',
      hint: `Délai ${after}. Vide\u00a0: ${RETENTION_DEFAULTS[name]} jours (par défaut).`,
    });
  }
  if (!withCode) delete fields.code;

  const heading = (text) => h(`h${level}`, { class: 'fr-h5 fr-mt-4w' }, text);
  const groups = [
    heading('Présentation'),
    fields.code?.element,
    fields.title.element,
    fields.operator.element,
    fields.description.element,
    fields.legalFramework.element,
    heading('Règles du circuit'),
    fields.statusPolicy.element,
    fields.rules.element,
    heading('Pièces jointes'),
    fields.maxAttachmentSize.element,
    fields.allowedMimeTypes.element,
    fields.instructingMaxAttachmentSize.element,
    fields.instructingAllowedMimeTypes.element,
    heading('Conservation'),
    h(
      'p',
      { class: 'fr-hint-text' },
      'Quand les pièces jointes sont purgées, les télédossiers archivés et les dépôts supprimés.',
    ),
    fields.purgeAfterStatus.element,
    RETENTION_DAYS.map(([name]) => fields[name].element),
  ];

  const retention = () => {
    const r = {};
    if (fields.purgeAfterStatus.value) r.purgeAfterStatus = fields.purgeAfterStatus.value;
    for (const [name] of RETENTION_DAYS) {
      const days = parseDays(fields[name].value);
      if (days !== null) r[name] = days;
    }
    return r;
  };
  const initial = Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f.value]));

  function problems() {
    const found = [];
    if (withCode && !isProcessCode(fields.code.value))
      found.push({ field: 'code', message: 'Code invalide\u00a0: 1 à 30 lettres, chiffres, _ ou -.' });
    if (!fields.title.value) found.push({ field: 'title', message: 'Indiquez l’intitulé de la démarche.' });
    if (!fields.operator.value) found.push({ field: 'operator', message: 'Choisissez l’opérateur de la démarche.' });
    for (const name of ['maxAttachmentSize', 'instructingMaxAttachmentSize']) {
      if (Number.isNaN(parseMegabytes(fields[name].value)))
        found.push({ field: name, message: 'Indiquez une taille en Mo, supérieure à 0 (par exemple 20 ou 1,5).' });
    }
    for (const name of ['allowedMimeTypes', 'instructingAllowedMimeTypes']) {
      const wrong = mimeTypes(fields[name].value).filter((t) => !isMimeType(t));
      if (wrong.length)
        found.push({
          field: name,
          message: `Type MIME invalide\u00a0: ${wrong.join(', ')}. Format attendu\u00a0: type/sous-type, par exemple application/pdf.`,
        });
    }
    for (const [name] of RETENTION_DAYS) {
      if (Number.isNaN(parseDays(fields[name].value)))
        found.push({ field: name, message: `Indiquez un nombre entier de jours, de 0 à ${MAX_DELAY_DAYS}.` });
    }
    return found;
  }

  const rule = (name) => fields.rules.value.includes(name);

  /** What "Créer la démarche" sends: what is filled, the rules as chosen. */
  function body() {
    const b = {
      code: fields.code?.value,
      title: fields.title.value,
      operator: fields.operator.value,
      statusPolicy: fields.statusPolicy.value || 'compatible',
      instructingDeposits: rule('instructingDeposits'),
      awaitingComplements: rule('awaitingComplements'),
      messages: rule('messages'),
      sensitive: rule('sensitive'),
    };
    if (fields.description.value) b.description = fields.description.value;
    if (fields.legalFramework.value) b.legalFramework = fields.legalFramework.value;
    for (const name of ['maxAttachmentSize', 'instructingMaxAttachmentSize']) {
      const bytes = parseMegabytes(fields[name].value);
      if (bytes !== null) b[name] = bytes;
    }
    for (const name of ['allowedMimeTypes', 'instructingAllowedMimeTypes']) {
      const types = mimeTypes(fields[name].value);
      if (types.length) b[name] = types;
    }
    const r = retention();
    if (Object.keys(r).length) b.retention = r;
    return b;
  }

  /** What changed since the page was shown: texts, rules, sizes (empty: back to the default). */
  function changes() {
    const c = {};
    for (const name of ['title', 'description', 'legalFramework', 'operator', 'statusPolicy']) {
      if (fields[name].value !== (p[name] ?? '')) c[name] = fields[name].value;
    }
    for (const { value: name } of RULES) {
      if (rule(name) !== p[name]) c[name] = rule(name);
    }
    for (const name of ['maxAttachmentSize', 'instructingMaxAttachmentSize']) {
      if (fields[name].value !== initial[name]) c[name] = parseMegabytes(fields[name].value);
    }
    for (const name of ['allowedMimeTypes', 'instructingAllowedMimeTypes']) {
      if (!same(mimeTypes(fields[name].value), mimeTypes(initial[name]))) c[name] = mimeTypes(fields[name].value);
    }
    const r = retention();
    const before = p.retention ?? {};
    const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
    if (!same(sorted(r), sorted(before))) c.retention = r;
    return c;
  }

  // The API's field names, for its errors: `retention` is shown under its first field.
  const byApiName = { ...fields, retention: fields.purgeAfterStatus };
  delete byApiName.rules;
  for (const { value: name } of RULES) byApiName[name] = fields.rules;
  return { fields: byApiName, groups, problems, body, changes };
}
