// `/national/demarches`: every procedure with its operator, whether it is open to new folders,
// and its rules in a few words; "Créer une démarche".

import { national } from '../../api.js';
import { add, h } from '../../dom.js';
import { plural } from '../../format.js';
import { rulesSummary } from '../../national.js';
import { list, table } from '../../ui/layout.js';
import { nationalTitle, procedureBadge, procedureHref } from './common.js';

/** A cell's content that wraps (DSFR table cells do not). */
function wrapped(element) {
  element.classList.add('hubee-wrap');
  return element;
}

export async function render(view, { isCurrent }) {
  const procedures = await national.procedures();
  if (!isCurrent()) return;
  procedures.sort((a, b) => a.code.localeCompare(b.code));
  add(
    view,
    ...nationalTitle('Démarches'),
    h(
      'p',
      {},
      h(
        'a',
        { class: 'fr-btn fr-icon-add-line fr-btn--icon-left', href: '/national/nouvelle-demarche' },
        'Créer une démarche',
      ),
    ),
    procedures.length === 0
      ? h('p', { class: 'hubee-empty' }, 'La plateforme n’a encore aucune démarche.')
      : table({
          caption: `Démarches de la plateforme\u00a0: ${plural(procedures.length, 'démarche')}`,
          columns: [
            { label: 'Code' },
            { label: 'Intitulé' },
            { label: 'Opérateur' },
            { label: 'État' },
            { label: 'Règles' },
          ],
          rows: procedures.map((p) => [
            { header: h('a', { href: procedureHref(p.code) }, p.code) },
            p.title,
            p.operator,
            procedureBadge(p),
            wrapped(list(rulesSummary(p))),
          ]),
        }),
  );
}
