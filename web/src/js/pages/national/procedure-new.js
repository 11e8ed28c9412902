// `/national/nouvelle-demarche`: "Créer une démarche", its operator among the operator
// organisations, its texts and every rule (the hub's defaults where a field is left empty).

import { national } from '../../api.js';
import { add, h } from '../../dom.js';
import { flash } from '../../session.js';
import { alert } from '../../ui/feedback.js';
import { button, clearProblems, form, requiredNote, showError, showProblems } from '../../ui/forms.js';
import { nationalTitle, procedureHref } from './common.js';
import { operators, procedureFields } from './procedure-form.js';

export async function render(view, { navigate, isCurrent }) {
  const operatorList = await operators();
  if (!isCurrent()) return;
  const problems = h('div', {});
  const built = procedureFields({ operatorList, withCode: true });
  const submit = button('Créer la démarche', { type: 'submit' });
  const create = form(
    {
      'aria-label': 'Créer une démarche',
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, built.fields);
          const found = built.problems();
          if (found.length) return showProblems(problems, found, built.fields);
          submit.disabled = true;
          try {
            const created = await national.createProcedure(built.body());
            flash({
              type: 'success',
              title: 'Démarche créée',
              text: `${created.title} (${created.code}) est ouverte\u00a0: les organisations peuvent s’y abonner.`,
            });
            await navigate(procedureHref(created.code));
          } catch (error) {
            showError(problems, error, built.fields);
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    built.groups,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md fr-mt-4w' },
      h('li', {}, submit),
      h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/national/demarches' }, 'Annuler')),
    ),
  );
  add(
    view,
    ...nationalTitle('Créer une démarche', { back: { href: '/national/demarches', label: 'Retour aux démarches' } }),
    operatorList.length === 0 &&
      alert({
        type: 'warning',
        title: 'Aucun opérateur',
        text: 'Une démarche est envoyée par un opérateur\u00a0: créez d’abord l’organisation opérateur (OSL) avec son code.',
      }),
    problems,
    create,
  );
}
