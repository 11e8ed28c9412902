// Client-side navigation: the address picks a page of routes.js, links inside the portal change
// the address without reloading, and after each navigation the page title is announced and the
// focus moves to the new page's `h1`. The hub answers every page address with index.html
// (functions/local/src/web.rs), so that links and reloads land on the same page.

import { can, flash, user } from './session.js';
import { fill, focus, h } from './dom.js';
import { closeAll } from './ui/modal.js';
import { alert, errorAlert } from './ui/feedback.js';
import { ApiError } from './api.js';
import { supportParagraph } from './support.js';

const SITE = 'Portail HubEE';

let routes = [];
let slot = null;
let renderCount = 0;
let afterNavigation = () => {};
/** The address last rendered: a change of its fragment only (skip links) is no navigation. */
let rendered = null;

function compile(path) {
  const names = [];
  const pattern = path.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  return { regex: new RegExp(`^${pattern}$`), names };
}

function match(pathname) {
  for (const route of routes) {
    const found = route.compiled.regex.exec(pathname);
    if (found) {
      const params = {};
      route.compiled.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(found[i + 1]);
        } catch {
          params[name] = found[i + 1];
        }
      });
      return { route, params };
    }
  }
  return null;
}

/** Where to land after sign-in, or when the address is `/`. */
export function home() {
  if (can.national()) return '/national/organisations';
  if (can.readDossiers()) return '/teledossiers';
  if (can.manageUsers()) return '/comptes';
  if (can.readSubscriptions()) return '/abonnements';
  return null;
}

/** The current address inside the portal (path and query). */
export function here() {
  return `${window.location.pathname}${window.location.search}`;
}

/** Shows another page: `replace` keeps the history entry (redirections). */
export function navigate(to, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  return render(false);
}

/** Sends the person to the sign-in page, coming back here afterwards. */
export function toSignIn({ message } = {}) {
  if (message) flash(message);
  const back = window.location.pathname === '/connexion' ? '' : `?retour=${encodeURIComponent(here())}`;
  return navigate(`/connexion${back}`, { replace: true });
}

/** A page of its own for what went wrong: what happened, a way back, and where to find help. */
function messagePage(view, title, message, { back = true } = {}) {
  document.title = `${title} – ${SITE}`;
  fill(
    view,
    h('h1', { 'data-page-title': true }, title),
    message,
    back &&
      h(
        'p',
        {},
        h(
          'a',
          { class: 'fr-link fr-icon-arrow-left-line fr-link--icon-left', href: '/' },
          'Retour à l’accueil du portail',
        ),
      ),
    supportParagraph(),
  );
}

async function render(initial) {
  renderCount += 1;
  const count = renderCount;
  await closeAll();
  const location = new URL(window.location.href);
  rendered = here();
  const found = match(location.pathname);
  const view = h('div', { class: 'hubee-page' });
  fill(slot, view);

  if (!found) {
    messagePage(
      view,
      'Page non trouvée',
      alert({
        type: 'info',
        title: 'Cette page n’existe pas',
        text: 'L’adresse est peut-être mal saisie, ou la page a été déplacée. Vérifiez l’adresse, ou revenez à l’accueil du portail.',
      }),
    );
  } else if (!found.route.public && !user()) {
    return toSignIn();
  } else if (found.route.signedOut && user()) {
    return navigate(home() ?? '/', { replace: true });
  } else if (found.route.allowed && !found.route.allowed() && can.national()) {
    // A national administrator on a local page: the hub would answer 403 anyway.
    messagePage(
      view,
      'Accès refusé',
      [
        alert({
          type: 'error',
          title: 'L’administration nationale n’a pas accès à cette page',
          text: 'Les télédossiers, les comptes et les abonnements d’une organisation sont réservés à ses agents et administrateurs locaux\u00a0: l’administration nationale travaille sur les métadonnées seulement.',
        }),
        h('p', {}, h('a', { class: 'fr-link', href: '/national' }, 'Aller à l’administration nationale')),
      ],
      { back: false },
    );
  } else if (found.route.allowed && !found.route.allowed()) {
    messagePage(
      view,
      'Accès refusé',
      alert({
        type: 'error',
        title: 'Vous n’avez pas accès à cette page',
        text: 'Un rôle vous manque pour cette partie du portail\u00a0: adressez-vous à l’administrateur local de votre service.',
      }),
    );
  } else {
    document.title = `${found.route.title} – ${SITE}`;
    const context = {
      params: found.params,
      query: location.searchParams,
      navigate,
      isCurrent: () => count === renderCount,
      setTitle: (title) => {
        if (count === renderCount) document.title = `${title} – ${SITE}`;
      },
    };
    try {
      const page = await found.route.page();
      if (count !== renderCount) return undefined;
      await page.render(view, context);
    } catch (error) {
      if (count !== renderCount) return undefined;
      if (error instanceof ApiError && error.status === 401) return undefined;
      messagePage(view, found.route.title, errorAlert(error, { title: 'La page n’a pas pu être affichée' }));
    }
  }
  if (count !== renderCount) return undefined;
  afterNavigation(location.pathname);
  if (!initial) {
    window.scrollTo(0, 0);
    focus(view.querySelector('[data-page-title]') ?? view);
  }
  return undefined;
}

function isPortalLink(event, link) {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return false;
  }
  if (!link || link.target || link.hasAttribute('download') || link.origin !== window.location.origin) return false;
  // A link to a place in this page (the skip links) is the browser's.
  if (link.hash && `${link.pathname}${link.search}` === here()) return false;
  return match(link.pathname) !== null;
}

/**
 * Starts routing. `table`: `[{path, title, page: () => import(…), public, signedOut, allowed}]`;
 * `onNavigate(pathname)`: after each page is shown (the header marks the current section).
 */
export function start(table, pageSlot, { onNavigate } = {}) {
  routes = table.map((route) => ({ ...route, compiled: compile(route.path) }));
  slot = pageSlot;
  afterNavigation = onNavigate ?? afterNavigation;
  document.addEventListener('click', (event) => {
    const link = event.target.closest?.('a[href]');
    if (!isPortalLink(event, link)) return;
    event.preventDefault();
    navigate(`${link.pathname}${link.search}`);
  });
  window.addEventListener('popstate', () => {
    if (here() !== rendered) render(false);
  });
  return render(true);
}
