// `/journal-audit`: "Journal d'audit", an organisation's audit journal for its local
// administrators ("Gestion des utilisateurs"), and the page `/national/journal-audit` builds on
// (national/audit.js): every organisation's entries, or one organisation's. Sign-in attempts,
// API tokens, refusals, administrative actions, dossier consultations and downloads, newest
// first, filtered by period, actor, action and outcome, paged by cursor (docs/AUDIT.md).

import { audit } from '../api.js';
import {
  actorKind,
  auditAction,
  auditReason,
  auditTime,
  chainOrganisation,
  outcomeBadge,
  periodProblems,
} from '../audit.js';
import { add, fill, focus, h } from '../dom.js';
import { isoDateTime, plural } from '../format.js';
import { isSiret } from '../national.js';
import { organisationKey, organisationsWith } from '../session.js';
import { alert, errorAlert } from '../ui/feedback.js';
import { button, clearProblems, form, selectField, showProblems, textField } from '../ui/forms.js';
import { loading, pageTitle, table, time } from '../ui/layout.js';
import { cursorPager } from '../ui/pager.js';
import { nationalTitle, organisationHref } from './national/common.js';

const PAGE_SIZE = 50;

/** The filters of the address and of the hub's query, by page. */
const LOCAL_FILTERS = ['from', 'to', 'actor', 'action', 'outcome', 'organisation'];
const NATIONAL_FILTERS = ['from', 'to', 'actor', 'action', 'outcome', 'siret', 'branchCode'];

function badge({ label, modifier }) {
  return h('p', { class: ['fr-badge', 'fr-badge--sm', modifier && `fr-badge--${modifier}`] }, label);
}

/** The actor: its address or client id, and its kind in words. */
function actorCell(actor) {
  return h('span', {}, actor?.id || '—', h('span', { class: 'fr-hint-text' }, actorKind(actor?.kind)));
}

/** The action in words, and its code as the journal records it (what `action` filters on). */
function actionCell(code) {
  return h('span', {}, auditAction(code), h('span', { class: 'fr-hint-text' }, h('code', {}, code)));
}

/** A chain's organisation, linked to its page (national), or the platform's own chain. */
function organisationCell(chain) {
  const org = chainOrganisation(chain);
  if (!org) return chain === 'PLATFORM' ? 'Plateforme' : (chain ?? '—');
  const key = `${org.siret}-${org.branchCode}`;
  return h('a', { href: organisationHref(org.siret, org.branchCode) }, key);
}

/**
 * A wide table: its container scrolls sideways on narrow screens, so it takes the keyboard focus,
 * named by its caption, to be scrolled without a mouse.
 */
function wideTable(options) {
  const element = table(options);
  const container = element.querySelector('.fr-table__container');
  container?.setAttribute('tabindex', '0');
  container?.setAttribute('role', 'region');
  container?.setAttribute('aria-label', options.caption);
  return element;
}

function entriesTable(items, { national, caption }) {
  const columns = [
    { label: 'Date' },
    national && { label: 'Organisation' },
    { label: 'Acteur' },
    { label: 'Action' },
    { label: 'Cible' },
    { label: 'Résultat' },
    { label: 'Motif' },
    { label: 'Adresse IP' },
  ].filter(Boolean);
  return wideTable({
    caption,
    id: 'journal-audit',
    columns,
    rows: items.map((entry) =>
      [
        {
          header: h(
            'span',
            {},
            time(isoDateTime(entry.at), auditTime(entry.at)),
            h('span', { class: 'fr-hint-text' }, `Maillon ${entry.seq} de la chaîne du ${entry.day}`),
          ),
        },
        national && organisationCell(entry.chain),
        actorCell(entry.actor),
        actionCell(entry.action),
        h('span', { class: 'hubee-audit-wrap' }, entry.target || '—'),
        badge(outcomeBadge(entry.outcome)),
        h('span', { class: 'hubee-audit-wrap' }, auditReason(entry.reason) || '—'),
        entry.source || '—',
      ].filter((cell) => cell !== false),
    ),
  });
}

/**
 * Renders a journal page. `national`: the national administrator's (every organisation, or one
 * by SIRET and branch code); otherwise an organisation's, for its local administrators.
 */
export async function renderAudit(view, { query, isCurrent }, { national = false } = {}) {
  const names = national ? NATIONAL_FILTERS : LOCAL_FILTERS;
  const path = national ? '/national/journal-audit' : '/journal-audit';
  const title = 'Journal d’audit';
  const lead = national
    ? 'Les connexions, jetons d’API, refus d’accès, actions d’administration et consultations de télédossiers de toutes les organisations, les plus récents d’abord.'
    : 'Les connexions, jetons d’API, refus d’accès, actions d’administration et consultations de télédossiers de votre organisation, les plus récents d’abord.';
  add(view, ...(national ? nationalTitle(title, { lead }) : pageTitle(title, { lead })));
  add(
    view,
    alert({
      type: 'info',
      title: 'Un journal infalsifiable',
      text: 'Chaque entrée porte l’empreinte (SHA-256) de l’entrée précédente de sa chaîne, une chaîne par organisation et par jour, et les têtes des chaînes sont scellées chaque jour. Une entrée modifiée, supprimée ou déplacée se voit\u00a0: un auditeur vérifie le journal avec la commande « audit verify » (docs/AUDIT.md). Le journal ne contient ni mot de passe, ni code, ni jeton, ni contenu de télédossier.',
      level: 2,
      small: false,
    }),
  );

  const fields = {
    from: textField({ label: 'Du', name: 'from', type: 'date', hint: 'Par défaut\u00a0: les 30 derniers jours' }),
    to: textField({ label: 'Au (inclus)', name: 'to', type: 'date', hint: 'Par défaut\u00a0: aujourd’hui' }),
    actor: textField({
      label: 'Acteur',
      name: 'actor',
      type: 'search',
      spellcheck: 'false',
      hint: 'Une partie de l’adresse électronique ou de l’identifiant du client API',
    }),
    action: textField({
      label: 'Action',
      name: 'action',
      type: 'search',
      spellcheck: 'false',
      hint: 'Une action ou son début\u00a0: signIn, token, access, accounts, subscriptions, cases…',
    }),
    outcome: selectField({
      label: 'Résultat',
      name: 'outcome',
      placeholder: 'Tous',
      options: [
        { value: 'GRANTED', label: 'Autorisé' },
        { value: 'DENIED', label: 'Refusé' },
      ],
    }),
  };
  // A technical delegate administering several organisations picks one (its own first).
  const managed = national ? [] : organisationsWith('GESTION_UTILISATEURS');
  if (managed.length > 1) {
    fields.organisation = selectField({
      label: 'Organisation',
      name: 'organisation',
      options: managed.map((o) => ({
        value: organisationKey(o),
        label: `${o.name ?? 'Organisation'} (SIRET ${o.siret})`,
      })),
    });
  }
  if (national) {
    fields.siret = textField({
      label: 'SIRET de l’organisation',
      name: 'siret',
      inputmode: 'numeric',
      hint: '14 chiffres\u00a0; vide\u00a0: toutes les organisations',
    });
    fields.branchCode = textField({
      label: 'Code établissement',
      name: 'branchCode',
      hint: 'Avec le SIRET',
    });
  }
  for (const name of names) if (fields[name]) fields[name].value = query.get(name) ?? '';
  if (fields.organisation && !fields.organisation.value) fields.organisation.value = organisationKey(managed[0]);

  const problems = h('div', {});
  const status = h('p', { class: 'fr-mb-2w', role: 'status' });
  const results = h('div', {}, loading('Chargement du journal…'));
  const pager = cursorPager({
    label: 'Pages du journal d’audit',
    onMove: async () => {
      await load();
      focus(status);
    },
  });

  /** The problems the hub would find in the filters, found before asking it. */
  function check() {
    const found = periodProblems(fields.from.value, fields.to.value);
    if (national) {
      const siret = fields.siret.value.replace(/\s/g, '');
      if (siret && !isSiret(siret)) {
        found.push({ field: 'siret', message: 'SIRET invalide\u00a0: 14 chiffres avec leur clé.' });
      }
      if (Boolean(siret) !== Boolean(fields.branchCode.value)) {
        found.push({
          field: siret ? 'branchCode' : 'siret',
          message: 'Le SIRET et le code établissement vont ensemble.',
        });
      }
    }
    return found;
  }

  /** The filters as the hub takes them. */
  function chosen() {
    const values = Object.fromEntries(names.map((name) => [name, fields[name]?.value ?? query.get(name) ?? '']));
    if (national) values.siret = values.siret.replace(/\s/g, '');
    return values;
  }

  const filters = form(
    {
      class: 'hubee-filters fr-mb-4w',
      role: 'search',
      'aria-label': 'Filtrer le journal d’audit',
      on: {
        submit: (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          const found = check();
          if (found.length > 0) return showProblems(problems, found, fields);
          pager.restart();
          return load();
        },
      },
    },
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      Object.values(fields).map((f) => h('div', { class: 'fr-col-12 fr-col-sm-6 fr-col-lg-4' }, f.element)),
      h(
        'div',
        { class: 'fr-col-12 hubee-filters__buttons' },
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left' },
          h('li', {}, button('Filtrer', { type: 'submit', icon: 'fr-icon-filter-line' })),
          h(
            'li',
            {},
            button('Réinitialiser', {
              kind: 'secondary',
              icon: 'fr-icon-refresh-line',
              on: {
                click: () => {
                  clearProblems(problems, fields);
                  for (const [name, field] of Object.entries(fields)) if (name !== 'organisation') field.value = '';
                  pager.restart();
                  load();
                },
              },
            }),
          ),
        ),
      ),
    ),
  );
  add(view, problems, filters, status, results, pager.element);

  // Of several loads under way, only the last one asked shows.
  let loads = 0;
  async function load() {
    loads += 1;
    const ticket = loads;
    const values = chosen();
    const address = new URLSearchParams(Object.entries(values).filter(([, v]) => v));
    if (isCurrent()) window.history.replaceState(null, '', `${path}${address.size ? `?${address}` : ''}`);
    results.setAttribute('aria-busy', 'true');
    try {
      const read = national ? audit.national : audit.read;
      const page = await read({ ...values, cursor: pager.cursor, limit: PAGE_SIZE });
      if (!isCurrent() || ticket !== loads) return;
      const count = plural(page.items.length, 'entrée', 'entrées');
      status.textContent =
        pager.page > 1 || page.nextCursor
          ? `Page ${pager.page} : ${count}, les plus récentes d’abord.`
          : `${count}, les plus récentes d’abord.`;
      fill(
        results,
        page.items.length === 0
          ? h('p', { class: 'hubee-empty' }, 'Aucune entrée du journal ne correspond à ces filtres sur cette période.')
          : entriesTable(page.items, {
              national,
              caption: `Journal d’audit${pager.page > 1 ? `, page ${pager.page}` : ''} : ${count}`,
            }),
      );
      pager.shown(page.nextCursor);
    } catch (error) {
      if (!isCurrent() || ticket !== loads) return;
      status.textContent = '';
      pager.shown(null);
      if (error?.status === 400) {
        fill(results);
        showProblems(problems, error.problems, fields);
      } else {
        fill(results, errorAlert(error, { title: 'Le journal d’audit est indisponible' }));
      }
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  await load();
}

export async function render(view, context) {
  return renderAudit(view, context, { national: false });
}
