// `/comptes/nouveau`: "Création d'un nouveau compte utilisateur". The button is active only when
// the mandatory fields are valid; the roles come from the actor type and are adjusted afterwards
// on the account's page. The person receives an activation link valid 48 hours.

import { accounts } from '../api.js';
import { add, h } from '../dom.js';
import { subscribedProcedures } from '../procedures.js';
import { flash, organisation, organisationKey, organisationsWith } from '../session.js';
import { button, form, requiredNote, showError, showProblems } from '../ui/forms.js';
import { pageTitle } from '../ui/layout.js';
import { accountFields, problemsOf, valuesOf, watch } from './account-form.js';

export async function render(view, { query, navigate, isCurrent }) {
  const org =
    query.get('organisation') ?? organisationKey(organisationsWith('GESTION_UTILISATEURS')[0] ?? organisation());
  const procedures = await subscribedProcedures().catch(() => []);
  if (!isCurrent()) return;
  const { fields, sections } = accountFields({ procedures, withEmail: true, withRoles: false });
  const problems = h('div', {});
  const submit = button('Ajouter l’utilisateur', { type: 'submit', disabled: true, 'aria-describedby': 'aide-ajout' });
  const back = `/comptes${query.get('organisation') ? `?organisation=${encodeURIComponent(org)}` : ''}`;
  const update = () => {
    submit.disabled = problemsOf(fields).length > 0;
  };
  watch(fields, update);

  const creation = form(
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          const found = problemsOf(fields);
          if (found.length) return showProblems(problems, found, fields);
          const { roles, ...values } = valuesOf(fields);
          // A creation leaves out what is empty, and takes the actor type's default roles.
          const body = Object.fromEntries(
            Object.entries(values).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0)),
          );
          submit.disabled = true;
          try {
            const created = await accounts.create(body, org);
            // An existing delegate of another organisation is invited: the answer has no organisation.
            const ours = Boolean(created.organisation) && organisationKey(created.organisation) === org;
            flash(
              ours
                ? {
                    type: 'success',
                    title: 'Compte créé',
                    text: `Un e-mail d’activation, valable 48 heures, a été envoyé à ${created.email}. Passé ce délai, la personne utilisera « Mot de passe oublié ? ».`,
                  }
                : {
                    type: 'success',
                    title: 'Délégué technique invité',
                    text: `${created.firstName} ${created.lastName} (${created.email}) est délégué technique d’une autre organisation : une invitation lui a été envoyée par e-mail. Il n’aura accès à votre organisation qu’après l’avoir acceptée.`,
                  },
            );
            await navigate(
              ours ? `/comptes/${encodeURIComponent(created.email)}${back.slice('/comptes'.length)}` : back,
            );
          } catch (error) {
            showError(problems, error, fields);
            update();
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    sections,
    h(
      'p',
      { class: 'fr-hint-text', id: 'aide-ajout' },
      'Le bouton « Ajouter l’utilisateur » s’active quand tous les champs obligatoires sont correctement remplis. Les rôles sont ceux du type d’acteur ; vous pourrez les adapter ensuite en modifiant le compte.',
    ),
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, submit),
      h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: back }, 'Annuler')),
    ),
  );
  add(
    view,
    ...pageTitle('Création d’un nouveau compte utilisateur', {
      back: { href: back, label: 'Retour aux comptes utilisateurs' },
    }),
    problems,
    creation,
  );
}
