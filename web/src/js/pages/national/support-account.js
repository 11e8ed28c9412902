// `/national/support/{email}`: one account as support sees it: its organisations (linked to their
// pages), whether it is active, activated, locked and until when, its last sign-in; and what
// support does: unlock it, send its activation e-mail again, suspend it or reinstate it (after a
// confirmation). Never a password, a code or a link.

import { ApiError, national } from '../../api.js';
import { add, fill, h } from '../../dom.js';
import { dateTime, plural } from '../../format.js';
import { ACCOUNT_RELATIONS, ALL_ACTOR_TYPES } from '../../national.js';
import { alert, errorAlert, show } from '../../ui/feedback.js';
import { button, buttons } from '../../ui/forms.js';
import { details, section, table } from '../../ui/layout.js';
import { modal } from '../../ui/modal.js';
import { accountBadges, nationalTitle, organisationHref } from './common.js';
import { SUPPORT_NOTICE } from './support.js';

/** The organisations' names, read by SIRET (`null` where they cannot be read). */
async function namesOf(organisations) {
  const names = await Promise.all(
    organisations.map((o) =>
      national
        .organisations({ siret: o.siret, limit: 100 })
        .then((page) => page.items.find((item) => item.branchCode === o.branchCode)?.name ?? null)
        .catch(() => null),
    ),
  );
  return new Map(organisations.map((o, i) => [`${o.siret}/${o.branchCode}`, names[i]]));
}

export async function render(view, { params, query, setTitle, isCurrent }) {
  const email = params.email;
  const q = query.get('q');
  const back = {
    href: q ? `/national/support?${new URLSearchParams({ q })}` : '/national/support',
    label: 'Retour à la recherche',
  };
  let account;
  try {
    account = await national.account(email);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    if (!isCurrent()) return;
    add(
      view,
      ...nationalTitle('Compte introuvable', { back }),
      alert({ type: 'info', title: 'Aucun compte n’a cette adresse', text: `Adresse recherchée\u00a0: ${email}.` }),
    );
    return;
  }
  const names = await namesOf(account.organisations);
  if (!isCurrent()) return;
  const name = `${account.firstName} ${account.lastName}`;
  setTitle(`Compte - ${name}`);

  const messages = h('div', {});
  const infoSlot = h('div', {});
  const organisationsSlot = h('div', {});
  const actionsSlot = h('div', {});

  /** Runs an action, reads the account again and says how it went. */
  async function act(run, success, failure, dialog) {
    try {
      await run();
      await dialog?.close();
      account = await national.account(email);
      if (!isCurrent()) return;
      showAll();
      show(messages, alert({ type: 'success', ...success }));
    } catch (error) {
      await dialog?.close();
      show(messages, errorAlert(error, { title: failure }));
    }
  }

  const suspendDialog = modal({
    title: 'Suspendre le compte',
    content: [
      h('p', {}, `${name} ne pourra plus se connecter au portail, et ses sessions en cours seront fermées.`),
      h('p', {}, 'Vous pourrez rétablir le compte à tout moment\u00a0; la personne devra alors se reconnecter.'),
    ],
    actions: [
      button('Suspendre le compte', {
        on: {
          click: () =>
            act(
              () => national.setAccountSuspended(email, true),
              { title: 'Compte suspendu', text: `${name} ne peut plus se connecter\u00a0; ses sessions sont fermées.` },
              'Le compte n’a pas été suspendu',
              suspendDialog,
            ),
        },
      }),
      button('Annuler', { kind: 'secondary', on: { click: () => suspendDialog.close() } }),
    ],
  });
  const reinstateDialog = modal({
    title: 'Rétablir le compte',
    content: [h('p', {}, `${name} pourra de nouveau se connecter au portail.`)],
    actions: [
      button('Rétablir le compte', {
        on: {
          click: () =>
            act(
              () => national.setAccountSuspended(email, false),
              { title: 'Compte rétabli', text: `${name} peut de nouveau se connecter.` },
              'Le compte n’a pas été rétabli',
              reinstateDialog,
            ),
        },
      }),
      button('Annuler', { kind: 'secondary', on: { click: () => reinstateDialog.close() } }),
    ],
  });

  add(
    view,
    ...nationalTitle(`Compte - ${name}`, { back }),
    h('p', { class: 'fr-hint-text' }, SUPPORT_NOTICE),
    messages,
    infoSlot,
    section('Organisations', organisationsSlot),
    section('Actions du support', actionsSlot),
    suspendDialog.element,
    reinstateDialog.element,
  );

  function showInfo() {
    fill(
      infoSlot,
      section(
        'Informations',
        details([
          ['Nom', account.lastName],
          ['Prénom', account.firstName],
          ['Adresse électronique', account.email],
          ['Type d’acteur', ALL_ACTOR_TYPES[account.actorType] ?? account.actorType],
          ['État', accountBadges(account, dateTime)],
          // Counted in a window of 15 minutes, afresh once a lock is set.
          [
            'Échecs de connexion récents',
            account.recentFailures
              ? plural(account.recentFailures, 'échec', 'échecs')
              : account.lockedUntil
                ? null
                : 'Aucun',
          ],
          ['Verrouillé jusqu’au', account.lockedUntil ? dateTime(account.lockedUntil) : null],
          ['Dernière connexion', account.lastSignIn ? dateTime(account.lastSignIn) : 'Jamais'],
        ]),
      ),
    );
  }

  function showOrganisations() {
    fill(
      organisationsSlot,
      table({
        caption: `Organisations de ${name}`,
        captionHidden: true,
        columns: [
          { label: 'Organisation' },
          { label: 'SIRET' },
          { label: 'Code établissement' },
          { label: 'Relation' },
        ],
        rows: account.organisations.map((o) => [
          {
            header: h(
              'a',
              { href: organisationHref(o.siret, o.branchCode) },
              names.get(`${o.siret}/${o.branchCode}`) ?? `Organisation ${o.siret} (${o.branchCode})`,
            ),
          },
          o.siret,
          o.branchCode,
          ACCOUNT_RELATIONS[o.relation] ?? o.relation,
        ]),
      }),
    );
  }

  function showActions() {
    const locked = Boolean(account.lockedUntil || account.recentFailures);
    fill(
      actionsSlot,
      h(
        'ul',
        { class: 'fr-mb-2w' },
        h(
          'li',
          {},
          account.lockedUntil
            ? `Le compte est verrouillé jusqu’au ${dateTime(account.lockedUntil)} après des erreurs de mot de passe ou de code.`
            : account.recentFailures
              ? 'Le compte a des échecs de connexion récents, sans être verrouillé.'
              : 'Le compte n’est pas verrouillé.',
        ),
        h(
          'li',
          {},
          account.activated
            ? 'Le compte est activé\u00a0: la personne a choisi son mot de passe.'
            : 'Le compte attend son activation\u00a0: la personne n’a pas encore choisi son mot de passe.',
        ),
        h('li', {}, account.active ? 'Le compte est actif.' : 'Le compte est suspendu.'),
      ),
      buttons(
        locked &&
          button('Déverrouiller le compte', {
            icon: 'fr-icon-lock-unlock-line',
            on: {
              click: () =>
                act(
                  () => national.unlock(email),
                  {
                    title: 'Compte déverrouillé',
                    text: `${name} peut de nouveau se connecter avec son mot de passe.`,
                  },
                  'Le compte n’a pas été déverrouillé',
                ),
            },
          }),
        !account.activated &&
          button('Renvoyer l’e-mail d’activation', {
            kind: locked ? 'secondary' : 'primary',
            icon: 'fr-icon-mail-line',
            on: {
              click: () =>
                act(
                  () => national.resendActivation(email),
                  {
                    title: 'E-mail d’activation renvoyé',
                    text: `Un nouveau lien d’activation, valable 48 heures, est envoyé à ${account.email}.`,
                  },
                  'L’e-mail d’activation n’a pas été renvoyé',
                ),
            },
          }),
        account.active
          ? suspendDialog.opener('Suspendre le compte', { class: 'fr-btn--secondary' })
          : reinstateDialog.opener('Rétablir le compte', { class: 'fr-btn--secondary' }),
      ),
    );
  }

  function showAll() {
    showInfo();
    showOrganisations();
    showActions();
  }

  showAll();
}
