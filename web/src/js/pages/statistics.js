// `/statistiques`: "Statistiques", an organisation's figures for its local administrator, and the
// page `/national/statistiques` builds on (statistics-national.js): per month, the dossiers
// transmitted by status, the delays to the first consultation and to a final status, the e-mails
// sent and failed, then per procedure. Each chart (the State's chart components, @gouvfr/dsfr-chart,
// self-hosted) is followed by a table holding the same figures. docs/STATISTICS.md.

import { statistics } from '../api.js';
import { add, fill, h } from '../dom.js';
import { plural } from '../format.js';
import { TABS, procedureName, tabOf } from '../labels.js';
import { organisationKey, organisationsWith } from '../session.js';
import { alert } from '../ui/feedback.js';
import { exportControl } from '../ui/files.js';
import { button, form, selectField, textField } from '../ui/forms.js';
import { pageTitle, section, table } from '../ui/layout.js';

/** The inbox tabs a status counts under, with the archived dossiers (which the inbox leaves). */
const STATUS_COLUMNS = TABS.filter((t) => !['TOUS', 'MES'].includes(t.key));

const MONTHS = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
];

/** `2026-03` → `mars 2026`. */
export function monthLabel(month) {
  const [year, m] = month.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${year}`;
}

/** `03/26` for a chart's axis. */
function shortMonth(month) {
  const [year, m] = month.split('-');
  return `${m}/${year.slice(2)}`;
}

/** A delay in seconds as people read it, marked as an estimate: `≈ 3 h 10 min`, `≈ 2 j 4 h`. */
export function delay(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `≈ ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `≈ ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `≈ ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const days = Math.floor(hours / 24);
  return `≈ ${days} j${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** Hours with one decimal, for the charts (`3.2`). */
function hours(seconds) {
  return seconds === null || seconds === undefined ? 0 : Math.round(seconds / 360) / 10;
}

/** The dossiers of a month (or total) counted under each inbox tab. */
export function byTab(figures) {
  const counts = Object.fromEntries(STATUS_COLUMNS.map((c) => [c.key, 0]));
  for (const [status, n] of Object.entries(figures.byStatus ?? {})) {
    const tab = status === 'ARCHIVED' ? 'ARCHIVE' : tabOf(status);
    if (tab) counts[tab] += n;
  }
  return counts;
}

let chartsLoading = null;

/** Loads the bar chart component once (its module and style sheet, beside the DSFR). */
function loadCharts() {
  if (!chartsLoading) {
    const script = document.querySelector('meta[name="hubee-dsfr-chart"]')?.content;
    chartsLoading = script
      ? new Promise((resolve) => {
          document.head.append(h('link', { rel: 'stylesheet', href: script.replace(/\.js$/, '.css') }));
          import(script).then(
            () => resolve(true),
            () => resolve(false),
          );
        })
      : Promise.resolve(false);
  }
  return chartsLoading;
}

/** A bar chart of `series` (`[{name, values}]`) over `labels`, when the component loaded. */
function barChart(labels, series, { stacked = false, unit } = {}) {
  if (!customElements.get('bar-chart')) return null;
  // The figures are in the table that follows: the drawing is left to sighted readers.
  return h(
    'div',
    { class: 'hubee-chart fr-mb-2w', 'aria-hidden': 'true' },
    h('bar-chart', {
      x: JSON.stringify([labels]),
      y: JSON.stringify(series.map((s) => s.values)),
      name: JSON.stringify(series.map((s) => s.name)),
      stacked: stacked ? 'true' : null,
      'selected-palette': 'categorical',
      'unit-tooltip': unit ?? null,
    }),
  );
}

/**
 * A wide table (a column per status, a row per month): its container scrolls sideways on narrow
 * screens, so it takes the keyboard focus, named by its caption, to be scrolled without a mouse.
 */
function wideTable(options) {
  const element = table(options);
  const container = element.querySelector('.fr-table__container');
  container?.setAttribute('tabindex', '0');
  container?.setAttribute('role', 'region');
  container?.setAttribute('aria-label', options.caption);
  return element;
}

function number(n) {
  return (n ?? 0).toLocaleString('fr-FR');
}

/** The figures of a page: per month (charts and tables), then per procedure. */
function figures(page, scopeLabel) {
  const months = page.months;
  const labels = months.map((m) => shortMonth(m.month));
  const counts = months.map(byTab);
  const shownColumns = STATUS_COLUMNS.filter((c) => c.key !== 'ERREUR' || counts.some((row) => row.ERREUR > 0));
  const range = `${monthLabel(page.from)} à ${monthLabel(page.to)}`;
  const dossiers = section(
    'Dossiers transmis',
    h(
      'p',
      {},
      `${plural(page.total.transmitted, 'dossier transmis', 'dossiers transmis')} de ${range}, comptés dans leur mois de transmission, selon leur statut actuel.`,
    ),
    barChart(
      labels,
      shownColumns.map((c) => ({ name: c.label, values: counts.map((row) => row[c.key]) })),
      { stacked: true, unit: 'dossiers' },
    ),
    wideTable({
      caption: `Dossiers transmis par mois et statut actuel – ${scopeLabel}`,
      columns: [{ label: 'Mois' }, { label: 'Transmis' }, ...shownColumns.map((c) => ({ label: c.label }))],
      rows: months.map((m, i) => [
        { header: monthLabel(m.month) },
        number(m.transmitted),
        ...shownColumns.map((c) => number(counts[i][c.key])),
      ]),
    }),
  );
  const delays = section(
    'Délais de traitement',
    h(
      'p',
      { class: 'fr-text--sm' },
      `Délais depuis la transmission, au mois de transmission. Médiane et 90e centile sont des estimations à ± ${Math.round(page.delayPrecision * 100)} % près (les délais sont comptés par tranches).`,
    ),
    barChart(
      labels,
      [
        {
          name: 'Médiane jusqu’à la 1re consultation',
          values: months.map((m) => hours(m.firstConsultation.medianSeconds)),
        },
        { name: 'Médiane jusqu’au statut final', values: months.map((m) => hours(m.finalStatus.medianSeconds)) },
      ],
      { unit: 'heures' },
    ),
    wideTable({
      caption: `Délais depuis la transmission – ${scopeLabel}`,
      columns: [
        { label: 'Mois' },
        { label: 'Premières consultations' },
        { label: 'Médiane (1re consultation)' },
        { label: '90e centile (1re consultation)' },
        { label: 'Statuts finaux atteints' },
        { label: 'Médiane (statut final)' },
        { label: '90e centile (statut final)' },
      ],
      rows: months.map((m) => [
        { header: monthLabel(m.month) },
        number(m.firstConsultation.count),
        delay(m.firstConsultation.medianSeconds),
        delay(m.firstConsultation.p90Seconds),
        number(m.finalStatus.count),
        delay(m.finalStatus.medianSeconds),
        delay(m.finalStatus.p90Seconds),
      ]),
    }),
  );
  const mails = section(
    'E-mails de notification',
    page.scope.kind === 'OPERATOR'
      ? alert({
          type: 'info',
          title: 'Non comptés par opérateur',
          text: 'Un e-mail (un récapitulatif notamment) peut annoncer des dossiers de plusieurs opérateurs\u00a0: les e-mails sont comptés par organisation et par démarche.',
          level: 3,
          small: true,
        })
      : [
          barChart(
            labels,
            [
              { name: 'Envoyés', values: months.map((m) => m.emailsSent) },
              { name: 'En échec', values: months.map((m) => m.emailsFailed) },
            ],
            { unit: 'e-mails' },
          ),
          wideTable({
            caption: `E-mails envoyés et en échec par mois d’envoi – ${scopeLabel}`,
            columns: [{ label: 'Mois' }, { label: 'Envoyés' }, { label: 'En échec' }],
            rows: months.map((m) => [{ header: monthLabel(m.month) }, number(m.emailsSent), number(m.emailsFailed)]),
          }),
        ],
  );
  const perProcedure = section(
    'Par démarche',
    wideTable({
      caption: `Par démarche, de ${range} – ${scopeLabel}`,
      columns: [
        { label: 'Démarche' },
        { label: 'Transmis' },
        { label: 'Premières consultations' },
        { label: 'Médiane (1re consultation)' },
        { label: 'Statuts finaux atteints' },
        { label: 'Médiane (statut final)' },
        { label: 'E-mails envoyés' },
        { label: 'E-mails en échec' },
      ],
      rows: page.procedures.map((p) => [
        { header: procedureName(p.processCode, p.procedureTitle) },
        number(p.total.transmitted),
        number(p.total.firstConsultation.count),
        delay(p.total.firstConsultation.medianSeconds),
        number(p.total.finalStatus.count),
        delay(p.total.finalStatus.medianSeconds),
        number(p.total.emailsSent),
        number(p.total.emailsFailed),
      ]),
    }),
  );
  return [dossiers, delays, mails, perProcedure];
}

/** The month fields' values (`YYYY-MM`), as the browser's month input gives them. */
function monthField(label, name, value) {
  return textField({ label, name, type: 'month', value, hint: 'Format\u00a0: AAAA-MM', pattern: '[0-9]{4}-[0-9]{2}' });
}

/**
 * Renders a statistics page. `national`: the national administrator's (organisation and operator
 * filters); otherwise an organisation's, for its local administrator.
 */
export async function renderStatistics(view, { query, navigate, isCurrent }, { national = false } = {}) {
  const params = Object.fromEntries(
    ['from', 'to', 'processCode', 'organisation', 'siret', 'branchCode', 'operator']
      .map((name) => [name, query.get(name) ?? ''])
      .filter(([, v]) => v),
  );
  const title = national ? 'Statistiques nationales' : 'Statistiques';
  add(
    view,
    ...pageTitle(title, {
      lead: national
        ? 'Les dossiers de toutes les organisations par démarche et par mois, ou ceux d’une organisation ou d’un opérateur.'
        : 'Les dossiers reçus par votre organisation par démarche et par mois, les délais de traitement et les e-mails de notification.',
    }),
  );
  const read = national ? statistics.national : statistics.read;
  const [page] = await Promise.all([read(params), loadCharts()]);
  if (!isCurrent()) return;

  const managed = national ? [] : organisationsWith('GESTION_UTILISATEURS');
  const fields = {
    from: monthField('Du mois', 'from', page.from),
    to: monthField('Au mois (inclus)', 'to', page.to),
    processCode: selectField({
      label: 'Démarche',
      name: 'processCode',
      value: page.processCode ?? '',
      placeholder: 'Toutes les démarches',
      options: page.procedures.map((p) => ({
        value: p.processCode,
        label: procedureName(p.processCode, p.procedureTitle),
      })),
    }),
  };
  if (managed.length > 1) {
    fields.organisation = selectField({
      label: 'Organisation',
      name: 'organisation',
      value: params.organisation ?? organisationKey(managed[0]),
      options: managed.map((o) => ({ value: organisationKey(o), label: o.name ?? o.siret })),
    });
  }
  if (national) {
    fields.siret = textField({
      label: 'SIRET de l’organisation',
      name: 'siret',
      value: params.siret,
      hint: '14 chiffres',
    });
    fields.branchCode = textField({ label: 'Code établissement', name: 'branchCode', value: params.branchCode });
    fields.operator = textField({
      label: 'Opérateur',
      name: 'operator',
      value: params.operator,
      hint: 'SIRET et code établissement de l’opérateur\u00a0: 11000000000007-00000',
    });
  }
  const apply = (event) => {
    event.preventDefault();
    const search = new URLSearchParams();
    for (const [name, field] of Object.entries(fields)) if (field.value) search.set(name, field.value);
    // A new procedure list follows a new scope: the procedure chosen may not be in it.
    const text = search.toString();
    navigate(`${national ? '/national/statistiques' : '/statistiques'}${text ? `?${text}` : ''}`);
  };
  add(
    view,
    form(
      { 'aria-label': 'Choisir les statistiques', class: 'hubee-filters fr-mb-4w', on: { submit: apply } },
      h(
        'div',
        { class: 'fr-grid-row fr-grid-row--gutters' },
        Object.values(fields).map((f) => h('div', { class: 'fr-col-12 fr-col-sm-6 fr-col-lg-4' }, f.element)),
        h(
          'div',
          { class: 'fr-col-12 hubee-filters__buttons' },
          button('Afficher', { type: 'submit', icon: 'fr-icon-bar-chart-box-line' }),
        ),
      ),
    ),
  );

  const scope = page.scope;
  const scopeLabel =
    scope.kind === 'NATIONAL'
      ? 'toutes les organisations'
      : `${scope.kind === 'OPERATOR' ? 'opérateur ' : ''}${scope.name ?? `${scope.siret}-${scope.branchCode}`}`;
  const exportRead = () => (national ? statistics.exportNationalCsv(params) : statistics.exportCsv(params));
  const body = h('div', {});
  add(
    view,
    h('p', { class: 'fr-text--lead fr-mb-2w', 'data-statistics-scope': scope.kind }, `Périmètre\u00a0: ${scopeLabel}.`),
    alert({
      type: 'info',
      title: 'À savoir',
      text: 'Les dossiers transmis avant la mise en place des statistiques ne sont pas comptés. La première consultation est la première fois que le service instructeur ouvre, télécharge ou traite le dossier (portail ou API).',
      level: 2,
      small: true,
    }),
    exportControl({
      read: exportRead,
      hint: 'Un fichier pour tableur\u00a0: une ligne par démarche et par mois, avec les dossiers par statut, les délais en heures et les e-mails.',
      fallbackName: 'statistiques.csv',
    }),
    body,
  );
  fill(body, ...figures(page, scopeLabel));
}

export async function render(view, context) {
  return renderStatistics(view, context, { national: false });
}
