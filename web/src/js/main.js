// Starts the portal: reads the session, keeps the header (menu, identity, sign-out) in step with
// it, sends an expired session back to sign-in with a message, and starts the router.

import { auth, onSessionExpired } from './api.js';
import { fill, h } from './dom.js';
import { ROUTES, SECTIONS } from './routes.js';
import { navigate, start, toSignIn } from './router.js';
import { flash, idleMinutes, load, onUserChange, organisation, signedOut, user } from './session.js';
import { alert } from './ui/feedback.js';
import { footerLabel } from './accessibility.js';
import { supportSentence, supportAddress } from './support.js';

const slots = (name) => [...document.querySelectorAll(`[data-slot="${name}"]`)];

/** "Aide" in the header's tools, for everyone. */
const helpLink = () => h('li', {}, h('a', { class: 'fr-btn fr-icon-question-line', href: '/aide' }, 'Aide'));

function renderTools(person) {
  for (const slot of slots('tools')) {
    if (!person) {
      fill(slot, h('ul', { class: 'fr-btns-group' }, helpLink()));
      continue;
    }
    const org = organisation();
    fill(
      slot,
      h(
        'ul',
        { class: 'fr-btns-group' },
        h(
          'li',
          {},
          h(
            'p',
            { class: 'hubee-identity' },
            `${person.firstName} ${person.lastName}`,
            org?.name && h('span', { class: 'hubee-identity__org' }, org.name),
          ),
        ),
        helpLink(),
        h(
          'li',
          {},
          h(
            'button',
            { class: 'fr-btn fr-icon-logout-box-r-line', type: 'button', 'data-action': 'sign-out' },
            'Se déconnecter',
          ),
        ),
      ),
    );
  }
}

function renderNavigation(pathname = window.location.pathname) {
  const person = user();
  for (const element of document.querySelectorAll('[data-when="signed-in"]')) element.hidden = !person;
  for (const slot of slots('navigation')) {
    fill(
      slot,
      ...SECTIONS.filter((s) => person && s.allowed()).map((s) => {
        const current = s.paths.some(
          (p) => pathname === p || (p.endsWith('/') && pathname.startsWith(p)) || pathname.startsWith(`${p}/`),
        );
        return h(
          'li',
          { class: 'fr-nav__item' },
          h('a', { class: 'fr-nav__link', href: s.href, 'aria-current': current ? 'page' : null }, s.label),
        );
      }),
    );
  }
}

/** True while signing out: the calls still under way then find no session, which is expected. */
let signingOut = false;

async function signOut() {
  signingOut = true;
  let answer = null;
  try {
    answer = await auth.signOut();
  } catch {
    // Already ended on the hub: the person is signed out all the same.
  }
  signedOut();
  // A session ProConnect opened: the hub's is over, ProConnect's next (it comes back to
  // /connexion).
  if (answer?.endSessionUrl) {
    window.location.assign(answer.endSessionUrl);
    return;
  }
  signingOut = false;
  flash({ type: 'info', title: 'Vous êtes déconnecté', text: 'À bientôt sur le Portail HubEE.' });
  await navigate('/connexion');
}

/** The footer's support line, once the hub says whether it has a support address. */
async function renderSupport() {
  const address = await supportAddress();
  for (const slot of slots('support')) fill(slot, ...supportSentence(address));
}

async function boot() {
  renderTools(null);
  renderSupport();
  // The status the statement derives from its checklist (index.html says the same without script).
  for (const link of document.querySelectorAll('[data-slot="accessibility"]')) link.textContent = footerLabel();
  onUserChange((person) => {
    renderTools(person);
    renderNavigation();
  });
  onSessionExpired(() => {
    if (!user() || signingOut) return;
    const idle = idleMinutes();
    signedOut();
    toSignIn({
      message: {
        type: 'warning',
        title: 'Votre session a expiré',
        text: `Pour protéger les données, la session se ferme après ${idle} minutes sans activité, 12 heures après la connexion, ou quand votre compte change. Reconnectez-vous pour continuer.`,
      },
    });
  });
  document.addEventListener('click', (event) => {
    if (event.target.closest?.('[data-action="sign-out"]')) {
      event.preventDefault();
      signOut();
    }
  });
  const page = document.querySelector('[data-slot="page"]');
  try {
    await load();
  } catch {
    fill(
      page,
      alert({
        type: 'error',
        title: 'Le portail ne répond pas',
        text: 'Vérifiez votre connexion à Internet, puis rechargez la page.',
      }),
    );
    return;
  }
  await start(ROUTES, page, { onNavigate: renderNavigation });
}

boot();
