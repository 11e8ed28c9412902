// `/plan-du-site`: every page without a parameter in its address, grouped, each linked only
// when the visitor may open it (signed out: sign-in, help and information; signed in: the
// sections of their roles).

import { add, h } from '../../dom.js';
import { ROUTES } from '../../routes.js';
import { user } from '../../session.js';
import { pageTitle, section } from '../../ui/layout.js';

/** The groups of the plan and their pages, in the order of the menus. */
export const GROUPS = [
  { title: 'Connexion', paths: ['/connexion', '/mot-de-passe-oublie'] },
  { title: 'Télédossiers', paths: ['/teledossiers'] },
  {
    title: 'Administration de votre organisation',
    paths: ['/comptes', '/comptes/nouveau', '/abonnements', '/statistiques', '/journal-audit'],
  },
  {
    title: 'Administration nationale',
    paths: [
      '/national/organisations',
      '/national/organisations/nouvelle',
      '/national/demarches',
      '/national/nouvelle-demarche',
      '/national/abonnements',
      '/national/clients-api',
      '/national/clients-api/nouveau',
      '/national/support',
      '/national/envois-en-echec',
      '/national/fusions',
      '/national/journal',
      '/national/journal-audit',
      '/national/statistiques',
    ],
  },
  {
    title: 'Aide et informations',
    paths: [
      '/aide',
      '/plan-du-site',
      '/accessibilite',
      '/mentions-legales',
      '/donnees-personnelles',
      '/gestion-des-cookies',
    ],
  },
];

/** Whether a visitor (`signedIn`) may open a route: the router's own rules. */
export function reachable(route, signedIn) {
  if (route.public) return !(route.signedOut && signedIn);
  return signedIn && (!route.allowed || route.allowed());
}

/** The groups with their reachable pages `[{title, links: [{path, title}]}]`, empty groups left out. */
export function plan(routes, signedIn, groups = GROUPS) {
  const byPath = new Map(routes.map((route) => [route.path, route]));
  return groups
    .map((group) => ({
      title: group.title,
      links: group.paths
        .map((path) => byPath.get(path))
        .filter((route) => route && reachable(route, signedIn))
        .map((route) => ({ path: route.path, title: route.title })),
    }))
    .filter((group) => group.links.length > 0);
}

export async function render(view) {
  const signedIn = Boolean(user());
  add(
    view,
    ...pageTitle('Plan du site', {
      lead: signedIn
        ? 'Les pages du portail que votre compte permet d’ouvrir.'
        : 'Les pages ouvertes sans connexion\u00a0; les autres apparaîtront ici une fois connecté.',
    }),
    plan(ROUTES, signedIn).map((group) =>
      section(
        group.title,
        h(
          'ul',
          {},
          group.links.map((link) => h('li', {}, h('a', { class: 'fr-link', href: link.path }, link.title))),
        ),
      ),
    ),
  );
}
