// `/comptes/{email}`: "Compte utilisateur". The account's information, its edit (profile, actor
// type, roles and habilitations: only what changed is sent), its suspension or reactivation and
// its removal ("Retirer le compte") — neither offered on one's own account.

import { accounts } from '../api.js';
import { add, fill, h } from '../dom.js';
import { ACTOR_TYPES, ROLES, accountBadge } from '../labels.js';
import { procedureLabel, subscribedProcedures } from '../procedures.js';
import { flash, organisation, organisationKey, organisationsWith, user } from '../session.js';
import { alert, errorAlert, show } from '../ui/feedback.js';
import { button, checkboxGroup, clearProblems, form, requiredNote, showError, showProblems } from '../ui/forms.js';
import { details, pageTitle, section } from '../ui/layout.js';
import { modal } from '../ui/modal.js';
import { accountFields, problemsOf, valuesOf, watch } from './account-form.js';

const sameList = (a = [], b = []) => a.length === b.length && a.every((x) => b.includes(x));

/** What the edit changes, as `PATCH` wants it (nothing when nothing changed). */
function changes(account, values) {
  const change = {};
  for (const name of ['civility', 'firstName', 'lastName', 'function', 'phoneNumber', 'secondaryPhoneNumber']) {
    if ((account[name] ?? null) !== values[name]) change[name] = values[name];
  }
  if (account.actorType !== values.actorType) change.actorType = values.actorType;
  if (!sameList(account.roles, values.roles)) change.roles = values.roles;
  if (values.actorType !== 'LOCAL_ADMIN' && !sameList(account.habilitations, values.habilitations)) {
    change.habilitations = values.habilitations;
  }
  return change;
}

export async function render(view, { params, query, setTitle, isCurrent, navigate }) {
  const email = params.email;
  const org =
    query.get('organisation') ?? organisationKey(organisationsWith('GESTION_UTILISATEURS')[0] ?? organisation());
  const orgName = user()?.organisations?.find((o) => organisationKey(o) === org)?.name;
  const back = `/comptes${query.get('organisation') ? `?organisation=${encodeURIComponent(org)}` : ''}`;
  let [account, procedures] = await Promise.all([accounts.read(email, org), subscribedProcedures().catch(() => [])]);
  if (!isCurrent()) return;
  const name = `${account.firstName} ${account.lastName}`;
  setTitle(`Compte utilisateur - ${name}`);

  const messages = h('div', {});
  const summary = h('div', {});
  add(
    view,
    ...pageTitle(`Compte utilisateur - ${name}`, {
      back: { href: back, label: 'Retour aux comptes utilisateurs' },
      lead: 'Gestion des informations de compte de l’utilisateur.',
    }),
    messages,
    summary,
  );
  const home = organisationKey(account.organisation) === org;
  // Nobody suspends or removes their own account (the hub refuses it too).
  const own = account.email === user()?.email;

  const suspendDialog = modal({
    title: 'Suspendre le compte',
    content: [
      h('p', {}, `${name} ne pourra plus se connecter au portail, et ses sessions en cours seront fermées.`),
      h('p', {}, 'Vous pourrez réactiver le compte à tout moment ; la personne devra alors se reconnecter.'),
    ],
    actions: [
      button('Suspendre le compte', { on: { click: () => setActive(false) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => suspendDialog.close() } }),
    ],
  });
  const removeDialog = modal({
    title: 'Retirer le compte',
    content: [
      h(
        'p',
        {},
        `${name} ne fera plus partie de votre organisation : son compte est fermé définitivement, ses sessions en cours sont fermées et ses rôles et habilitations retirés.`,
      ),
      h(
        'p',
        {},
        'L’historique des télédossiers et le journal d’audit gardent la trace de ses actions. Vous pourrez créer plus tard un nouveau compte avec la même adresse électronique.',
      ),
    ],
    actions: [
      button('Retirer le compte', { on: { click: removeAccount } }),
      button('Annuler', { kind: 'secondary', on: { click: () => removeDialog.close() } }),
    ],
  });
  add(view, suspendDialog.element, removeDialog.element);

  async function removeAccount() {
    try {
      await accounts.remove(email, org);
      await removeDialog.close();
      flash({ type: 'success', title: 'Compte retiré', text: `${name} ne fait plus partie de votre organisation.` });
      await navigate(back);
    } catch (error) {
      await removeDialog.close();
      show(messages, errorAlert(error, { title: 'Le compte n’a pas été retiré' }));
    }
  }

  function showSummary() {
    fill(
      summary,
      section(
        'Informations générales',
        details(
          home
            ? [
                ['Service instructeur', `${orgName ?? ''} (N° SIRET : ${account.organisation.siret})`.trim()],
                ['Adresse électronique', account.email],
                ['Type d’acteur', ACTOR_TYPES[account.actorType] ?? account.actorType],
                ['État du compte', accountBadge(account)],
              ]
            : [
                ['Adresse électronique', account.email],
                ['Type d’acteur', ACTOR_TYPES[account.actorType] ?? account.actorType],
                ['État du compte', accountBadge(account)],
                [
                  'Délégation',
                  account.delegation?.status === 'INVITED'
                    ? 'Invitation envoyée, en attente d’acceptation'
                    : 'Acceptée : intervient pour votre organisation',
                ],
              ],
        ),
        home &&
          !own &&
          h(
            'ul',
            { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left fr-mt-2w' },
            h(
              'li',
              {},
              account.active
                ? suspendDialog.opener('Suspendre le compte', {
                    class: 'fr-btn--secondary fr-btn--icon-left fr-icon-lock-line',
                  })
                : button('Réactiver le compte', {
                    kind: 'secondary',
                    icon: 'fr-icon-lock-unlock-line',
                    on: { click: () => setActive(true) },
                  }),
            ),
            h(
              'li',
              {},
              removeDialog.opener('Retirer le compte', {
                class: 'fr-btn--tertiary fr-btn--icon-left fr-icon-user-unfollow-line',
              }),
            ),
          ),
      ),
    );
  }

  async function setActive(active) {
    try {
      account = active ? await accounts.reactivate(email, org) : await accounts.suspend(email, org);
      await suspendDialog.close();
      showSummary();
      show(
        messages,
        alert({
          type: 'success',
          title: active ? 'Compte réactivé' : 'Compte suspendu',
          text: active
            ? `${name} peut de nouveau se connecter.`
            : `${name} ne peut plus se connecter ; ses sessions sont fermées.`,
        }),
      );
    } catch (error) {
      await suspendDialog.close();
      show(
        messages,
        errorAlert(error, { title: active ? 'Le compte n’a pas été réactivé' : 'Le compte n’a pas été suspendu' }),
      );
    }
  }

  showSummary();
  if (!home) {
    delegateSection();
    return;
  }

  /** A technical delegate of another organisation: what this organisation gives it, and its
   * removal. Its profile and suspension belong to its own organisation. */
  function delegateSection() {
    add(
      view,
      alert({
        type: 'info',
        title: 'Délégué technique d’une autre organisation',
        text: 'Son profil appartient à son organisation d’origine. Vous choisissez ici ses rôles et habilitations dans la vôtre, ou le retirez de votre organisation.',
      }),
    );
    const problems = h('div', {});
    const roles = checkboxGroup({
      legend: 'Rôles dans votre organisation',
      name: 'roles',
      values: account.roles ?? [],
      options: Object.entries(ROLES).map(([value, label]) => ({ value, label })),
    });
    const habilitations = checkboxGroup({
      legend: 'Habilitations aux démarches',
      name: 'habilitations',
      values: account.habilitations ?? [],
      options: procedures.map((p) => ({ value: p.code, label: procedureLabel(p) })),
    });
    const edit = form(
      {
        'aria-label': 'Modifier les rôles du délégué',
        on: {
          submit: async (event) => {
            event.preventDefault();
            try {
              account = await accounts.edit(email, { roles: roles.value, habilitations: habilitations.value }, org);
              showSummary();
              show(problems, alert({ type: 'success', title: 'Modifications enregistrées' }));
            } catch (error) {
              show(problems, errorAlert(error, { title: 'Les modifications n’ont pas été enregistrées' }));
            }
          },
        },
      },
      h('div', { class: 'fr-fieldset__element' }, roles.element),
      h('div', { class: 'fr-fieldset__element' }, habilitations.element),
      h(
        'ul',
        { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, button('Enregistrer les modifications', { type: 'submit' })),
      ),
    );
    const detachDialog = modal({
      title: 'Retirer le délégué technique',
      content: [
        h('p', {}, `${name} n’aura plus accès à votre organisation, y compris dans ses sessions en cours.`),
        h('p', {}, 'Son compte, qui appartient à une autre organisation, n’est pas supprimé.'),
      ],
      actions: [
        button('Retirer le délégué', { on: { click: detach } }),
        button('Annuler', { kind: 'secondary', on: { click: () => detachDialog.close() } }),
      ],
    });
    async function detach() {
      try {
        await accounts.detach(email, org);
        await detachDialog.close();
        flash({
          type: 'success',
          title: 'Délégué technique retiré',
          text: `${name} n’a plus accès à votre organisation.`,
        });
        await navigate(back);
      } catch (error) {
        await detachDialog.close();
        show(problems, errorAlert(error, { title: 'Le délégué n’a pas été retiré' }));
      }
    }
    add(
      view,
      detachDialog.element,
      section('Rôles et habilitations dans votre organisation', problems, edit),
      section(
        'Retirer de votre organisation',
        h(
          'p',
          {},
          detachDialog.opener('Retirer le délégué', {
            class: 'fr-btn--secondary fr-btn--icon-left fr-icon-user-unfollow-line',
          }),
        ),
      ),
    );
  }

  const problems = h('div', {});
  let built = accountFields({ account, procedures, withEmail: false, withRoles: true, level: 3 });
  const submit = button('Enregistrer les modifications', { type: 'submit' });
  watch(built.fields, () => {
    submit.disabled = problemsOf(built.fields).length > 0;
  });
  const fieldsSlot = h('div', {}, built.sections);
  const edit = form(
    {
      'aria-label': 'Modifier le compte',
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, built.fields);
          const found = problemsOf(built.fields);
          if (found.length) return showProblems(problems, found, built.fields);
          const change = changes(account, valuesOf(built.fields));
          if (Object.keys(change).length === 0) {
            show(problems, alert({ type: 'info', title: 'Aucune modification à enregistrer' }));
            return undefined;
          }
          submit.disabled = true;
          try {
            account = await accounts.edit(email, change, org);
            showSummary();
            show(
              problems,
              alert({
                type: 'success',
                title: 'Modifications enregistrées',
                text: 'Elles prennent effet dès la prochaine action de la personne.',
              }),
            );
          } catch (error) {
            showError(problems, error, built.fields);
          } finally {
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    fieldsSlot,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, submit),
      h(
        'li',
        {},
        button('Annuler', {
          kind: 'secondary',
          on: {
            click: () => {
              built = accountFields({ account, procedures, withEmail: false, withRoles: true, level: 3 });
              watch(built.fields, () => {
                submit.disabled = problemsOf(built.fields).length > 0;
              });
              fill(fieldsSlot, ...built.sections);
              clearProblems(problems, {});
              submit.disabled = false;
            },
          },
        }),
      ),
    ),
  );
  add(view, section('Modifier le compte', problems, edit));
}
