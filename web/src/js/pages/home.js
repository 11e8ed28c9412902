// `/`: the invitations a technical delegate has not answered, if any; else the first section the
// person may use, or a message when they may use none.

import { ApiError, invitations as invitationsApi } from '../api.js';
import { add, h } from '../dom.js';
import { dateTime } from '../format.js';
import { home } from '../router.js';
import { flash, invitations, load, organisationKey } from '../session.js';
import { pageTitle, section } from '../ui/layout.js';
import { alert, errorAlert, show } from '../ui/feedback.js';
import { button } from '../ui/forms.js';

export async function render(view, { navigate }) {
  const pending = invitations();
  const target = home();
  if (pending.length === 0) {
    if (target) {
      await navigate(target, { replace: true });
      return;
    }
    add(
      view,
      ...pageTitle('Portail HubEE'),
      alert({
        type: 'info',
        title: 'Votre compte n’a encore aucun rôle',
        text: 'Pour consulter des télédossiers ou administrer votre service, demandez à l’administrateur local de votre organisation de vous attribuer un rôle.',
      }),
    );
    return;
  }

  const messages = h('div', { role: 'status' });
  const answer = (org, accept) => async () => {
    try {
      if (accept) await invitationsApi.accept(organisationKey(org));
      else await invitationsApi.decline(organisationKey(org));
      await load();
      flash({
        type: 'success',
        title: accept ? 'Invitation acceptée' : 'Invitation refusée',
        text: accept
          ? `Vous intervenez désormais pour ${org.name ?? 'cette organisation'}, avec les rôles que ses administrateurs vous donnent.`
          : `Vous n’interviendrez pas pour ${org.name ?? 'cette organisation'}.`,
      });
      await navigate('/', { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) await load();
      show(messages, errorAlert(error, { title: 'La réponse à l’invitation n’a pas été enregistrée' }));
    }
  };
  add(
    view,
    ...pageTitle('Portail HubEE'),
    messages,
    section(
      'Invitations à intervenir comme délégué technique',
      h(
        'p',
        {},
        'Ces organisations vous ont désigné comme délégué technique. Vous n’avez accès à leurs abonnements qu’après avoir accepté\u00a0; refusez une invitation d’une organisation que vous ne connaissez pas.',
      ),
      h(
        'ul',
        { class: 'fr-raw-list' },
        ...pending.map((org) =>
          h(
            'li',
            { class: 'fr-mb-3w' },
            h(
              'p',
              { class: 'fr-mb-1w' },
              h('strong', {}, org.name ?? 'Organisation'),
              ` (SIRET ${org.siret})`,
              org.invitedAt ? `, invitation du ${dateTime(org.invitedAt)}` : '',
            ),
            h(
              'ul',
              { class: 'fr-btns-group fr-btns-group--inline-md' },
              h(
                'li',
                {},
                button(`Accepter l’invitation de ${org.name ?? org.siret}`, { on: { click: answer(org, true) } }),
              ),
              h(
                'li',
                {},
                button(`Refuser l’invitation de ${org.name ?? org.siret}`, {
                  kind: 'secondary',
                  on: { click: answer(org, false) },
                }),
              ),
            ),
          ),
        ),
      ),
    ),
    target ? h('p', {}, h('a', { class: 'fr-link', href: target }, 'Continuer vers le portail')) : null,
  );
}
