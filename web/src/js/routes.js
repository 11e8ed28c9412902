// The portal's pages. Their paths are also listed in functions/local/src/web.rs, which answers
// them with index.html; the e-mails link to /activation, /mot-de-passe and /dossiers/{id}.

import { can } from './session.js';
import { user } from './session.js';

const nationalAdmin = () => user()?.actorType === 'NATIONAL_ADMIN';

export const ROUTES = [
  { path: '/', title: 'Accueil', page: () => import('./pages/home.js') },
  { path: '/connexion', title: 'Connexion', public: true, signedOut: true, page: () => import('./pages/sign-in.js') },
  {
    path: '/mot-de-passe-oublie',
    title: 'Mot de passe oublié',
    public: true,
    page: () => import('./pages/forgotten-password.js'),
  },
  { path: '/activation', title: 'Activation du compte', public: true, page: () => import('./pages/activation.js') },
  { path: '/mot-de-passe', title: 'Nouveau mot de passe', public: true, page: () => import('./pages/new-password.js') },
  { path: '/teledossiers', title: 'Télédossiers', allowed: can.readDossiers, page: () => import('./pages/inbox.js') },
  { path: '/dossiers/:id', title: 'Télédossier', allowed: can.readDossiers, page: () => import('./pages/dossier.js') },
  {
    path: '/comptes',
    title: 'Gestion des comptes',
    allowed: can.manageUsers,
    page: () => import('./pages/accounts.js'),
  },
  {
    path: '/comptes/nouveau',
    title: 'Nouveau compte utilisateur',
    allowed: can.manageUsers,
    page: () => import('./pages/account-new.js'),
  },
  {
    path: '/comptes/:email',
    title: 'Compte utilisateur',
    allowed: can.manageUsers,
    page: () => import('./pages/account.js'),
  },
  {
    path: '/abonnements',
    title: 'Gestion des abonnements',
    allowed: can.readSubscriptions,
    page: () => import('./pages/subscriptions.js'),
  },
  {
    path: '/abonnements/:id',
    title: 'Abonnement',
    allowed: can.readSubscriptions,
    page: () => import('./pages/subscription.js'),
  },
  {
    path: '/statistiques',
    title: 'Statistiques',
    allowed: can.manageUsers,
    page: () => import('./pages/statistics.js'),
  },
  {
    path: '/national/statistiques',
    title: 'Statistiques nationales',
    allowed: nationalAdmin,
    page: () => import('./pages/statistics-national.js'),
  },
];

/** The sections of the main menu, for those who may use them. */
export const SECTIONS = [
  { href: '/teledossiers', label: 'Télédossiers', allowed: can.readDossiers, paths: ['/teledossiers', '/dossiers/'] },
  { href: '/comptes', label: 'Gestion des comptes', allowed: can.manageUsers, paths: ['/comptes'] },
  { href: '/abonnements', label: 'Gestion des abonnements', allowed: can.readSubscriptions, paths: ['/abonnements'] },
  { href: '/statistiques', label: 'Statistiques', allowed: can.manageUsers, paths: ['/statistiques'] },
  {
    href: '/national/statistiques',
    label: 'Statistiques nationales',
    allowed: nationalAdmin,
    paths: ['/national/statistiques'],
  },
];
