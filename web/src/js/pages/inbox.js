// `/teledossiers`: the inbox. Tabs with counts ("Mes télédossiers", the statuses, "Archivés"), a
// search by name or number (an exact number goes straight to the dossier), procedure and agent
// filters, a transmission period, an order, "Réinitialiser"; the list with the guides' columns
// and who follows each dossier, pages by cursor; several dossiers selected at once for one
// action, each succeeding or failing on its own, with a summary that says which.

import { dossiers } from '../api.js';
import { add, fill, focus, h, srOnly, uid } from '../dom.js';
import { dateTime, isoDateTime, personName, plural } from '../format.js';
import { ACTIONS, TABS, statusBadge, statusLabel } from '../labels.js';
import { translate } from '../messages.js';
import { procedureLabel, visibleProcedures } from '../procedures.js';
import { can, lastInbox, user } from '../session.js';
import { alert, announce, errorAlert, messageOf } from '../ui/feedback.js';
import { exportControl, save } from '../ui/files.js';
import { button, clearProblems, form, selectField, showProblems, textArea, textField } from '../ui/forms.js';
import { loading, pageTitle, time } from '../ui/layout.js';
import { modal } from '../ui/modal.js';

const PAGE_SIZE = 25;
/** The inbox's filters as the address keeps them (French names, so that links read well). */
const PARAMS = {
  tab: 'statut',
  q: 'recherche',
  processCode: 'demarche',
  agent: 'agent',
  from: 'du',
  to: 'au',
  sort: 'tri',
};
/** The orders offered: `<sort>-<order>` as the hub takes them. */
const SORTS = [
  { value: 'transmissionDate-desc', label: 'Date de transmission, les plus récents d’abord' },
  { value: 'transmissionDate-asc', label: 'Date de transmission, les plus anciens d’abord' },
  { value: 'updateDate-desc', label: 'Dernière mise à jour, les plus récentes d’abord' },
  { value: 'updateDate-asc', label: 'Dernière mise à jour, les plus anciennes d’abord' },
  { value: 'name-asc', label: 'Nom de la personne concernée, de A à Z' },
  { value: 'name-desc', label: 'Nom de la personne concernée, de Z à A' },
];
/** What a download does to a dossier of each tab (the guide's rule, docs/PORTAL-DOSSIERS.md). */
const AFTER_DOWNLOAD = {
  NOUVEAU: 'sa réception est confirmée et il passe « En cours »',
  RECU: 'il passe « En cours »',
  EN_ATTENTE: 'il passe « En cours »',
};

function readFilters(query) {
  const filters = {};
  for (const [key, name] of Object.entries(PARAMS)) filters[key] = query.get(name) ?? '';
  if (!TABS.some((t) => t.key === filters.tab)) filters.tab = 'TOUS';
  if (!SORTS.some((o) => o.value === filters.sort)) filters.sort = SORTS[0].value;
  return filters;
}

function addressOf(filters) {
  const params = new URLSearchParams();
  for (const [key, name] of Object.entries(PARAMS)) {
    const defaults = { tab: 'TOUS', sort: SORTS[0].value };
    if (filters[key] && filters[key] !== defaults[key]) params.set(name, filters[key]);
  }
  const search = params.toString();
  return `/teledossiers${search ? `?${search}` : ''}`;
}

export async function render(view, { query, navigate, isCurrent }) {
  const manages = can.manageDossiers();
  const filters = readFilters(query);
  const state = { cursors: [null], page: 0, next: null, rows: new Map(), selected: new Set(), tabs: null, loads: 0 };
  lastInbox(addressOf(filters));

  add(view, ...pageTitle('Télédossiers'));

  // --- Search form -------------------------------------------------------------------------
  const procedures = await visibleProcedures();
  if (!isCurrent()) return;
  const formProblems = h('div', {});
  const search = textField({
    label: 'Rechercher un télédossier',
    name: 'q',
    type: 'search',
    value: filters.q,
    hint: 'Nom de la personne concernée (début du nom, sans tenir compte des accents) ou numéro de télédossier',
    spellcheck: 'false',
  });
  const procedure = selectField({
    label: 'Filtrer par démarche',
    name: 'processCode',
    value: filters.processCode,
    placeholder: 'Toutes les démarches',
    options: procedures.map((p) => ({ value: p.code, label: procedureLabel(p) })),
  });
  const colleagues = await dossiers.agents().catch(() => []);
  if (!isCurrent()) return;
  const agent = selectField({
    label: 'Filtrer par agent',
    name: 'agent',
    value: filters.agent,
    placeholder: 'Tous les agents',
    options: colleagues.map((c) => ({ value: c.email, label: `${c.firstName} ${c.lastName}` })),
  });
  const from = textField({
    label: 'Début de période de transmission',
    name: 'from',
    type: 'date',
    value: filters.from,
    hint: 'Format : jj/mm/aaaa',
  });
  const to = textField({
    label: 'Fin de période de transmission (incluse)',
    name: 'to',
    type: 'date',
    value: filters.to,
    hint: 'Format : jj/mm/aaaa',
  });
  const sort = selectField({
    label: 'Trier par',
    name: 'sort',
    value: filters.sort,
    options: SORTS,
  });
  // A new order applies at once, to the search as it stands.
  sort.input.addEventListener('change', () => {
    filters.sort = sort.value;
    load({ restart: true });
  });
  const fields = { q: search, processCode: procedure, agent, from, to };
  const searchButton = button('Rechercher', { type: 'submit', icon: 'fr-icon-search-line' });

  const searchForm = form(
    {
      role: 'search',
      'aria-label': 'Rechercher des télédossiers',
      class: 'hubee-filters fr-mb-4w',
      on: { submit: (event) => submitSearch(event) },
    },
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-lg-6' }, search.element),
      h('div', { class: 'fr-col-12 fr-col-lg-6' }, procedures.length > 0 && procedure.element),
      h('div', { class: 'fr-col-12 fr-col-sm-6 fr-col-lg-3' }, from.element),
      h('div', { class: 'fr-col-12 fr-col-sm-6 fr-col-lg-3' }, to.element),
      h('div', { class: 'fr-col-12 fr-col-lg-6' }, colleagues.length > 0 && agent.element),
      h('div', { class: 'fr-col-12 fr-col-lg-6' }, sort.element),
      h(
        'div',
        { class: 'fr-col-12 fr-col-lg-6 hubee-filters__buttons' },
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left' },
          h('li', {}, searchButton),
          h(
            'li',
            {},
            button('Réinitialiser', { kind: 'secondary', icon: 'fr-icon-refresh-line', on: { click: reset } }),
          ),
        ),
      ),
    ),
  );
  add(view, formProblems, searchForm);

  // --- Results: moved into the selected tab's panel ------------------------------------------
  const statusLine = h('p', { class: 'fr-mb-2w', role: 'status' });
  // The tabs count every dossier of the visible procedures: said when a filter narrows the list.
  const countsNote = h('p', { class: 'fr-hint-text fr-mb-2w', hidden: true });
  const bulkSlot = h('div', {});
  const listSlot = h('div', {}, loading('Chargement des télédossiers…'));
  const pagination = h('div', {});
  const selection = manages ? selectionBar() : null;
  // Every page of the list, with the tab and the search as they are when the button is pressed.
  const exporting = exportControl({
    read: () => dossiers.exportCsv(inboxQuery()),
    hint: 'Un fichier pour tableur avec tous les télédossiers de l’onglet et de la recherche (toutes les pages, 50 000 au plus) : numéro, démarche, statut, personne concernée, dates.',
    fallbackName: 'teledossiers.csv',
  });
  const results = h('div', {}, statusLine, countsNote, exporting, selection?.element, bulkSlot, listSlot, pagination);
  const tabsSlot = h('div', {}, results);
  add(view, tabsSlot);

  const reasonDialog = refusalDialog();
  add(view, reasonDialog.element);

  async function submitSearch(event) {
    event.preventDefault();
    clearProblems(formProblems, fields);
    // A date typed halfway has no value: said, rather than searched without it.
    const partial = [from, to].filter((d) => d.input.validity.badInput);
    if (partial.length > 0) {
      return showProblems(
        formProblems,
        partial.map((d) => ({
          field: d === from ? 'from' : 'to',
          message: 'Cette date est incomplète : saisissez-la au format jj/mm/aaaa, ou effacez-la.',
        })),
        fields,
      );
    }
    if (from.value && to.value && from.value > to.value) {
      return showProblems(
        formProblems,
        [{ field: 'to', message: 'La fin de période doit suivre le début de période.' }],
        fields,
      );
    }
    Object.assign(filters, {
      q: search.value,
      processCode: procedure.value,
      agent: agent.value,
      from: from.value,
      to: to.value,
    });
    fill(bulkSlot);
    const data = await load({ restart: true });
    // An exact dossier number goes straight to that dossier.
    const only = data?.items?.length === 1 ? data.items[0] : null;
    if (only && filters.q && only.number.toLowerCase() === filters.q.toLowerCase()) {
      await navigate(`/dossiers/${only.id}`);
    }
    return undefined;
  }

  function reset() {
    clearProblems(formProblems, fields);
    for (const field of Object.values(fields)) field.value = '';
    sort.value = SORTS[0].value;
    Object.assign(filters, { q: '', processCode: '', agent: '', from: '', to: '', sort: SORTS[0].value });
    fill(bulkSlot);
    load({ restart: true });
    focus(search.input);
    announce('Les filtres sont réinitialisés.');
  }

  /** The filters as the hub takes them (the list's and the export's). */
  function inboxQuery() {
    const [sortBy, order] = filters.sort.split('-');
    return {
      status: ['TOUS', 'MES'].includes(filters.tab) ? '' : filters.tab,
      q: filters.q,
      processCode: filters.processCode,
      agent: filters.tab === 'MES' ? user()?.email : filters.agent,
      from: filters.from,
      to: filters.to,
      sort: sortBy,
      order,
    };
  }

  /** Reads a page (the current one, or the first with `restart`) and shows it; of several loads
   * under way, only the last one asked shows. */
  async function load({ restart = false } = {}) {
    state.loads += 1;
    const ticket = state.loads;
    if (restart) {
      state.cursors = [null];
      state.page = 0;
    }
    const address = addressOf(filters);
    lastInbox(address);
    if (isCurrent()) window.history.replaceState(null, '', address);
    listSlot.setAttribute('aria-busy', 'true');
    // On a slow network the search shows it is running, and is not sent twice.
    searchButton.disabled = true;
    statusLine.textContent = 'Recherche en cours…';
    try {
      const data = await dossiers.inbox({ ...inboxQuery(), cursor: state.cursors[state.page], limit: PAGE_SIZE });
      if (!isCurrent() || ticket !== state.loads) return null;
      showTabs(data.counts);
      showRows(data);
      return data;
    } catch (error) {
      if (ticket !== state.loads) return null;
      fill(listSlot, errorAlert(error, { title: 'La liste des télédossiers est indisponible', level: 3 }));
      statusLine.textContent = '';
      return null;
    } finally {
      if (ticket === state.loads) {
        listSlot.removeAttribute('aria-busy');
        searchButton.disabled = false;
      }
    }
  }

  // --- Tabs ---------------------------------------------------------------------------------
  function tabText(tab, counts) {
    return `${tab.label} (${counts?.[tab.key] ?? 0})`;
  }

  function showTabs(counts) {
    if (state.tabs) {
      for (const [key, tabButton] of Object.entries(state.tabs.buttons)) {
        tabButton.textContent = tabText(
          TABS.find((t) => t.key === key),
          counts,
        );
      }
      return;
    }
    const shown = TABS.filter(
      (t) => (t.key !== 'MES' || manages) && (!t.onlyWhenPresent || counts?.[t.key] > 0 || filters.tab === t.key),
    );
    // Ids of their own for each rendering: the DSFR's script may still hold the previous page's.
    const prefix = uid('onglets');
    const buttons = {};
    const panels = {};
    const list = h(
      'ul',
      { class: 'fr-tabs__list', role: 'tablist', 'aria-label': 'Télédossiers par statut' },
      shown.map((tab) => {
        const selected = tab.key === filters.tab;
        buttons[tab.key] = h(
          'button',
          {
            type: 'button',
            id: `${prefix}-onglet-${tab.key}`,
            class: 'fr-tabs__tab',
            tabindex: selected ? '0' : '-1',
            role: 'tab',
            'aria-selected': selected ? 'true' : 'false',
            'aria-controls': `${prefix}-panneau-${tab.key}`,
          },
          tabText(tab, counts),
        );
        return h('li', { role: 'presentation' }, buttons[tab.key]);
      }),
    );
    for (const tab of shown) {
      panels[tab.key] = h('div', {
        id: `${prefix}-panneau-${tab.key}`,
        class: ['fr-tabs__panel', tab.key === filters.tab && 'fr-tabs__panel--selected'],
        role: 'tabpanel',
        'aria-labelledby': `${prefix}-onglet-${tab.key}`,
        tabindex: '0',
      });
    }
    add(panels[filters.tab], results);
    const tabs = h('div', { class: 'fr-tabs' }, list, Object.values(panels));
    // The DSFR's script switches tabs on a click or an arrow key: follow the person's choices.
    // Setting itself up in a page it already runs on, it may select another tab: undo that.
    let chosen = false;
    const choosing = () => {
      chosen = true;
    };
    list.addEventListener('click', choosing, true);
    list.addEventListener('keydown', choosing, true);
    tabs.addEventListener('dsfr.disclose', (event) => {
      const key = Object.keys(panels).find((k) => panels[k] === event.target);
      // Once the page is left, the DSFR's script still concludes with the removed tabs.
      if (!key || !tabs.isConnected) return;
      if (!chosen) {
        if (key !== filters.tab) window.dsfr?.(panels[filters.tab])?.tabPanel?.disclose();
        return;
      }
      chosen = false;
      if (key === filters.tab) return;
      filters.tab = key;
      add(panels[key], results);
      fill(bulkSlot);
      load({ restart: true });
    });
    state.tabs = { buttons, panels };
    fill(tabsSlot, tabs);
  }

  // --- Rows ---------------------------------------------------------------------------------
  function showRows(data) {
    state.next = data.nextCursor;
    state.rows = new Map(data.items.map((row) => [row.id, row]));
    state.selected.clear();
    selection?.update();
    const tab = TABS.find((t) => t.key === filters.tab);
    const searching = Boolean(filters.q || filters.processCode || filters.agent || filters.from || filters.to);
    countsNote.hidden = !searching;
    countsNote.textContent =
      'Les nombres entre parenthèses comptent tous les télédossiers de chaque onglet, sans la recherche ni les filtres.';
    statusLine.textContent = `${plural(data.items.length, 'télédossier affiché', 'télédossiers affichés')}${
      state.page > 0 ? `, page ${state.page + 1}` : ''
    }${data.nextCursor ? " ; d'autres suivent sur la page suivante" : ''}.`;
    if (data.items.length === 0) {
      fill(
        listSlot,
        h(
          'p',
          { class: 'hubee-empty' },
          searching
            ? 'Aucun télédossier ne correspond à votre recherche.'
            : `Aucun télédossier dans l’onglet « ${tab.label} ».`,
        ),
      );
    } else {
      fill(listSlot, rowsTable(data.items, tab));
    }
    fill(pagination, pager(Boolean(data.nextCursor)));
  }

  function rowsTable(items, tab) {
    const head = [
      manages && h('th', { scope: 'col', class: 'fr-cell--fixed' }, srOnly('Sélection')),
      h('th', { scope: 'col' }, 'Statut'),
      h('th', { scope: 'col' }, 'Démarche et personne concernée'),
      h('th', { scope: 'col' }, 'N° de télédossier'),
      h('th', { scope: 'col' }, 'Dates'),
      h('th', { scope: 'col' }, srOnly('Actions')),
    ];
    const body = items.map((row) => {
      const concerned = personName(row.concerned);
      return h(
        'tr',
        { 'data-case-id': row.id },
        manages &&
          h(
            'td',
            { class: 'fr-cell--fixed' },
            h(
              'div',
              { class: 'fr-checkbox-group fr-checkbox-group--sm' },
              h('input', {
                type: 'checkbox',
                id: `selection-${row.id}`,
                'data-select': row.id,
                on: { change: (event) => selection.toggle(row.id, event.target.checked) },
              }),
              // The DSFR hides this label's text in a table cell; screen readers still read it.
              h(
                'label',
                { class: 'fr-label', for: `selection-${row.id}` },
                `Sélectionner le télédossier ${row.number}`,
              ),
            ),
          ),
        h('td', {}, statusBadge(row.tab ?? row.status)),
        h(
          'td',
          {},
          h('p', { class: 'fr-text--bold fr-mb-1v' }, row.procedureTitle ?? row.processCode),
          h('p', { class: 'fr-mb-0' }, `Concerné : ${concerned || 'non renseigné'}`),
          h(
            'p',
            { class: 'fr-mb-0 fr-text--sm', 'data-assignee': row.assignee?.email ?? '' },
            row.assignee ? `Suivi par ${row.assignee.name}` : 'Non attribué',
          ),
        ),
        h('td', {}, h('a', { class: 'fr-link', href: `/dossiers/${row.id}` }, row.number)),
        h(
          'td',
          {},
          h(
            'p',
            { class: 'fr-mb-1v' },
            'Transmis le ',
            time(isoDateTime(row.transmissionDateTime), dateTime(row.transmissionDateTime)),
          ),
          row.updateDateTime &&
            row.updateDateTime !== row.transmissionDateTime &&
            h(
              'p',
              { class: 'fr-mb-0' },
              'Mis à jour le ',
              time(isoDateTime(row.updateDateTime), dateTime(row.updateDateTime)),
            ),
        ),
        h(
          'td',
          {},
          h(
            'ul',
            { class: 'fr-btns-group fr-btns-group--sm fr-btns-group--inline-lg' },
            h(
              'li',
              {},
              h(
                'a',
                { class: 'fr-btn fr-btn--sm fr-btn--secondary', href: `/dossiers/${row.id}` },
                'Consulter',
                srOnly(` le télédossier ${row.number}`),
              ),
            ),
            manages &&
              h(
                'li',
                {},
                button(['Télécharger', srOnly(` le télédossier ${row.number}`)], {
                  kind: 'tertiary',
                  size: 'sm',
                  on: { click: (event) => downloadOne(row, event.currentTarget) },
                }),
              ),
          ),
        ),
      );
    });
    return h(
      'div',
      { class: 'fr-table fr-table--no-caption hubee-inbox-table' },
      h(
        'div',
        { class: 'fr-table__wrapper' },
        h(
          'div',
          { class: 'fr-table__container' },
          h(
            'div',
            { class: 'fr-table__content' },
            h(
              'table',
              { id: 'liste-teledossiers' },
              h('caption', {}, `Télédossiers : ${tab.label}`),
              h('thead', {}, h('tr', {}, head)),
              h('tbody', {}, body),
            ),
          ),
        ),
      ),
    );
  }

  function pager(hasNext) {
    const previous = state.page > 0;
    const link = (label, modifier, enabled, onClick) =>
      enabled
        ? h(
            'button',
            {
              type: 'button',
              class: `fr-pagination__link fr-pagination__link--${modifier} fr-pagination__link--lg-label`,
              on: { click: onClick },
            },
            label,
          )
        : h(
            'a',
            {
              class: `fr-pagination__link fr-pagination__link--${modifier} fr-pagination__link--lg-label`,
              role: 'link',
              'aria-disabled': 'true',
            },
            label,
          );
    const go = async (page) => {
      state.page = page;
      await load();
      focus(statusLine);
    };
    return h(
      'nav',
      { class: 'fr-pagination fr-mt-3w', role: 'navigation', 'aria-label': 'Pages de résultats' },
      h(
        'ul',
        { class: 'fr-pagination__list' },
        h(
          'li',
          {},
          link('Première page', 'first', previous, () => go(0)),
        ),
        h(
          'li',
          {},
          link('Page précédente', 'prev', previous, () => go(state.page - 1)),
        ),
        h(
          'li',
          {},
          h(
            'a',
            { class: 'fr-pagination__link', 'aria-current': 'page', title: `Page ${state.page + 1}` },
            String(state.page + 1),
          ),
        ),
        h(
          'li',
          {},
          link('Page suivante', 'next', hasNext, () => {
            state.cursors[state.page + 1] = state.next;
            return go(state.page + 1);
          }),
        ),
      ),
    );
  }

  // --- Selection and bulk actions -----------------------------------------------------------
  function selectionBar() {
    const countText = h('p', { class: 'fr-mb-1w', 'aria-live': 'polite' });
    const all = h('input', {
      type: 'checkbox',
      id: 'tout-selectionner',
      on: { change: (event) => selectAll(event.target.checked) },
    });
    const actionButtons = [
      button('Télécharger', {
        kind: 'secondary',
        size: 'sm',
        icon: 'fr-icon-download-line',
        on: { click: () => downloadSelected() },
      }),
      ...Object.entries(ACTIONS).map(([action, a]) =>
        button(a.label, {
          kind: 'secondary',
          size: 'sm',
          'data-action': action,
          on: { click: () => (a.needsReason ? reasonDialog.ask() : bulk(action)) },
        }),
      ),
    ];
    const element = h(
      'div',
      { class: 'hubee-selection fr-mb-2w' },
      h(
        'div',
        { class: 'fr-checkbox-group fr-checkbox-group--sm fr-mb-1w' },
        all,
        h('label', { class: 'fr-label', for: 'tout-selectionner' }, 'Tout sélectionner'),
      ),
      countText,
      h(
        'ul',
        {
          class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--sm fr-btns-group--icon-left',
          'aria-label': 'Actions sur les télédossiers sélectionnés',
        },
        actionButtons.map((b) => h('li', {}, b)),
      ),
    );
    const bar = {
      element,
      toggle(id, on) {
        if (on) state.selected.add(id);
        else state.selected.delete(id);
        bar.update();
      },
      update() {
        const n = state.selected.size;
        countText.textContent =
          n === 0
            ? 'Aucun télédossier sélectionné.'
            : `${plural(n, 'télédossier sélectionné', 'télédossiers sélectionnés')} :`;
        for (const b of actionButtons) b.disabled = n === 0;
        all.checked = n > 0 && n === state.rows.size;
        all.indeterminate = n > 0 && n < state.rows.size;
      },
    };
    function selectAll(on) {
      for (const input of listSlot.querySelectorAll('input[data-select]')) {
        input.checked = on;
        bar.toggle(input.dataset.select, on);
      }
    }
    return bar;
  }

  function refusalDialog() {
    const reason = textArea({
      label: 'Motif du refus',
      name: 'reason',
      required: true,
      maxlength: '1000',
      hint: '1 000 caractères au plus. Il est transmis à l’opérateur, qui informe le demandeur.',
    });
    const problems = h('div', {});
    const confirm = button('Refuser les télédossiers', { type: 'submit', form: 'formulaire-refus-groupe' });
    const dialog = modal({
      title: 'Refuser les télédossiers sélectionnés',
      content: [
        problems,
        form(
          {
            id: 'formulaire-refus-groupe',
            on: {
              submit: async (event) => {
                event.preventDefault();
                if (!reason.value)
                  return showProblems(problems, [{ field: 'reason', message: 'Indiquez le motif du refus.' }], {
                    reason,
                  });
                const text = reason.value;
                await dialog.close();
                await bulk('REFUSE', text);
                return undefined;
              },
            },
          },
          reason.element,
        ),
      ],
      actions: [confirm, button('Annuler', { kind: 'secondary', on: { click: () => dialog.close() } })],
    });
    dialog.ask = () => {
      clearProblems(problems, { reason });
      reason.value = '';
      dialog.open();
    };
    return dialog;
  }

  async function bulk(action, reason) {
    const ids = [...state.selected];
    if (ids.length === 0) return;
    const label = ACTIONS[action].label;
    announce(`${label} : action en cours sur ${plural(ids.length, 'télédossier')}.`);
    let summary;
    try {
      const { results: outcome } = await dossiers.bulk(ids, action, reason);
      const ok = outcome.filter((r) => r.ok).length;
      summary = alert({
        type: ok === outcome.length ? 'success' : ok === 0 ? 'error' : 'warning',
        title: `${label} : ${ok} réussi${ok > 1 ? 's' : ''} sur ${outcome.length}`,
        items: outcome.map((r) => {
          const number = state.rows.get(r.caseId)?.number ?? r.caseId;
          return r.ok
            ? `N° ${number} : réussi, statut « ${statusLabel(r.status)} »`
            : `N° ${number} : échec — ${translate(r.error) ?? 'action refusée.'}`;
        }),
      });
      summary.setAttribute('data-bulk-result', '');
    } catch (error) {
      summary = errorAlert(error, { title: `${label} : l’action n’a pas abouti` });
    }
    fill(bulkSlot, summary);
    await load();
    focus(summary.querySelector('.fr-alert__title'));
  }

  async function downloadSelected() {
    const ids = [...state.selected];
    if (ids.length === 0) return;
    announce(`Téléchargement de ${plural(ids.length, 'télédossier')} en cours.`);
    const rows = ids.map((id) => state.rows.get(id)).filter(Boolean);
    try {
      save(await dossiers.downloadMany(ids), 'teledossiers.zip');
      fill(
        bulkSlot,
        alert({
          type: 'success',
          title: 'Téléchargement',
          text: `Les pièces de ${plural(ids.length, 'télédossier')} sont dans le fichier zip téléchargé (un dossier par télédossier).`,
          items: rows.filter((r) => AFTER_DOWNLOAD[r.tab]).map((r) => `N° ${r.number} : ${AFTER_DOWNLOAD[r.tab]}.`),
        }),
      );
      await load();
    } catch (error) {
      fill(bulkSlot, errorAlert(error, { title: 'Le téléchargement n’a pas abouti' }));
      focus(bulkSlot.querySelector('.fr-alert__title'));
    }
  }

  async function downloadOne(row, trigger) {
    announce(`Téléchargement du télédossier ${row.number} en cours.`);
    try {
      save(await dossiers.downloadAll(row.id), `${row.number}.zip`);
      const after = AFTER_DOWNLOAD[row.tab];
      fill(
        bulkSlot,
        alert({
          type: 'success',
          title: `Télédossier ${row.number} téléchargé`,
          text: after ? `Comme le prévoit le téléchargement des pièces, ${after}.` : undefined,
        }),
      );
      await load();
      focus(listSlot.querySelector(`tr[data-case-id="${row.id}"] a`) ?? trigger);
    } catch (error) {
      fill(bulkSlot, alert({ type: 'error', title: 'Le téléchargement n’a pas abouti', text: messageOf(error) }));
      focus(bulkSlot.querySelector('.fr-alert__title'));
    }
  }

  await load();
}
