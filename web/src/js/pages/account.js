// `/comptes/{email}`: "Compte utilisateur". The account's information, its edit (profile, actor
// type, roles and habilitations: only what changed is sent), and its suspension or reactivation.

import { accounts } from '../api.js';
import { add, fill, h } from '../dom.js';
import { ACTOR_TYPES, accountBadge } from '../labels.js';
import { subscribedProcedures } from '../procedures.js';
import { organisation, organisationKey, user } from '../session.js';
import { alert, errorAlert, show } from '../ui/feedback.js';
import { button, clearProblems, form, requiredNote, showError, showProblems } from '../ui/forms.js';
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

export async function render(view, { params, query, setTitle, isCurrent }) {
  const email = params.email;
  const org = query.get('organisation') ?? organisationKey(organisation());
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
      lead: "Gestion des informations de compte de l'utilisateur.",
    }),
    messages,
    summary,
  );
  const home = organisationKey(account.organisation) === org;

  const suspendDialog = modal({
    title: 'Suspendre le compte',
    content: [
      h('p', {}, `${name} ne pourra plus se connecter au portail, et ses sessions en cours seront fermées.`),
      h('p', {}, 'Vous pourrez réactiver le compte à tout moment ; la personne devra alors se reconnecter.'),
    ],
    actions: [
      button('Suspendre le compte', { on: { click: () => setActive(false) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => suspendDialog.close() } }),
    ],
  });
  add(view, suspendDialog.element);

  function showSummary() {
    fill(
      summary,
      section(
        'Informations générales',
        details([
          ['Service instructeur', `${orgName ?? ''} (N° SIRET : ${account.organisation.siret})`.trim()],
          ['Adresse électronique', account.email],
          ["Type d'acteur", ACTOR_TYPES[account.actorType] ?? account.actorType],
          ['État du compte', accountBadge(account)],
        ]),
        home &&
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
            : `${name} ne peut plus se connecter ; ses sessions sont fermées.`,
        }),
      );
    } catch (error) {
      await suspendDialog.close();
      show(
        messages,
        errorAlert(error, { title: active ? "Le compte n'a pas été réactivé" : "Le compte n'a pas été suspendu" }),
      );
    }
  }

  showSummary();
  if (!home) {
    add(
      view,
      alert({
        type: 'info',
        title: 'Compte en lecture seule',
        text: 'Ce délégué technique appartient à une autre organisation : seuls les administrateurs de celle-ci peuvent le modifier ou le suspendre.',
      }),
    );
    return;
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
