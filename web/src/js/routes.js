// The portal's pages. Their paths are also listed in functions/local/src/web.rs, which answers
// them with index.html; the e-mails link to /activation, /mot-de-passe and /dossiers/{id}.

import { can } from './session.js';

export const ROUTES = [
  { path: '/', title: 'Accueil', page: () => import('./pages/home.js') },
  { path: '/connexion', title: 'Connexion', public: true, signedOut: true, page: () => import('./pages/sign-in.js') },
  {
    path: '/connexion/proconnect',
    title: 'Connexion avec ProConnect',
    public: true,
    page: () => import('./pages/proconnect.js'),
  },
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
  // The national back office (HubEE's own team): metadata only, never a dossier.
  {
    path: '/national',
    title: 'Administration nationale',
    allowed: can.national,
    page: () => import('./pages/national/home.js'),
  },
  {
    path: '/national/organisations',
    title: 'Organisations',
    allowed: can.national,
    page: () => import('./pages/national/organisations.js'),
  },
  {
    path: '/national/organisations/nouvelle',
    title: 'Créer une organisation',
    allowed: can.national,
    page: () => import('./pages/national/organisation-new.js'),
  },
  {
    path: '/national/organisations/:siret/:branchCode',
    title: 'Organisation',
    allowed: can.national,
    page: () => import('./pages/national/organisation.js'),
  },
  {
    path: '/national/demarches',
    title: 'Démarches',
    allowed: can.national,
    page: () => import('./pages/national/procedures.js'),
  },
  // Not under /national/demarches/: any word there may be a procedure's code.
  {
    path: '/national/nouvelle-demarche',
    title: 'Créer une démarche',
    allowed: can.national,
    page: () => import('./pages/national/procedure-new.js'),
  },
  {
    path: '/national/demarches/:code',
    title: 'Démarche',
    allowed: can.national,
    page: () => import('./pages/national/procedure.js'),
  },
  {
    path: '/national/abonnements',
    title: 'Abonnements',
    allowed: can.national,
    page: () => import('./pages/national/subscriptions.js'),
  },
  // An organisation subscribes once to a procedure: its subscription is named by both.
  {
    path: '/national/abonnements/:siret/:branchCode/:processCode',
    title: 'Abonnement',
    allowed: can.national,
    page: () => import('./pages/national/subscription.js'),
  },
  {
    path: '/national/clients-api',
    title: 'Clients API',
    allowed: can.national,
    page: () => import('./pages/national/api-clients.js'),
  },
  {
    path: '/national/clients-api/nouveau',
    title: 'Créer un client API',
    allowed: can.national,
    page: () => import('./pages/national/api-client-new.js'),
  },
  {
    path: '/national/support',
    title: 'Support',
    allowed: can.national,
    page: () => import('./pages/national/support.js'),
  },
  {
    path: '/national/support/:email',
    title: 'Compte (support)',
    allowed: can.national,
    page: () => import('./pages/national/support-account.js'),
  },
  {
    path: '/national/envois-en-echec',
    title: 'Envois en échec',
    allowed: can.national,
    page: () => import('./pages/national/deliveries.js'),
  },
  {
    path: '/national/fusions',
    title: 'Fusions de communes',
    allowed: can.national,
    page: () => import('./pages/national/migrations.js'),
  },
  {
    path: '/national/journal',
    title: 'Journal des actions nationales',
    allowed: can.national,
    page: () => import('./pages/national/journal.js'),
  },
  {
    path: '/statistiques',
    title: 'Statistiques',
    allowed: can.manageUsers,
    page: () => import('./pages/statistics.js'),
  },
  {
    path: '/journal-audit',
    title: 'Journal d’audit',
    allowed: can.manageUsers,
    page: () => import('./pages/audit.js'),
  },
  {
    path: '/national/journal-audit',
    title: 'Journal d’audit (national)',
    allowed: can.national,
    page: () => import('./pages/national/audit.js'),
  },
  {
    path: '/national/statistiques',
    title: 'Statistiques nationales',
    allowed: can.national,
    page: () => import('./pages/statistics-national.js'),
  },
  // Help and the pages the DSFR and the law ask for, linked from the footer: open to anyone.
  { path: '/aide', title: 'Aide', public: true, page: () => import('./pages/info/help.js') },
  { path: '/plan-du-site', title: 'Plan du site', public: true, page: () => import('./pages/info/sitemap.js') },
  {
    path: '/accessibilite',
    title: 'Déclaration d’accessibilité',
    public: true,
    page: () => import('./pages/info/accessibility.js'),
  },
  {
    path: '/mentions-legales',
    title: 'Mentions légales',
    public: true,
    page: () => import('./pages/info/legal-notice.js'),
  },
  {
    path: '/donnees-personnelles',
    title: 'Données personnelles',
    public: true,
    page: () => import('./pages/info/personal-data.js'),
  },
  {
    path: '/gestion-des-cookies',
    title: 'Gestion des cookies',
    public: true,
    page: () => import('./pages/info/cookies.js'),
  },
];

/** The sections of the main menu, for those who may use them. */
export const SECTIONS = [
  { href: '/teledossiers', label: 'Télédossiers', allowed: can.readDossiers, paths: ['/teledossiers', '/dossiers/'] },
  { href: '/comptes', label: 'Gestion des comptes', allowed: can.manageUsers, paths: ['/comptes'] },
  { href: '/abonnements', label: 'Gestion des abonnements', allowed: can.readSubscriptions, paths: ['/abonnements'] },
  {
    href: '/national/organisations',
    label: 'Organisations',
    allowed: can.national,
    paths: ['/national/organisations'],
  },
  {
    href: '/national/demarches',
    label: 'Démarches',
    allowed: can.national,
    paths: ['/national/demarches', '/national/nouvelle-demarche'],
  },
  { href: '/national/abonnements', label: 'Abonnements', allowed: can.national, paths: ['/national/abonnements'] },
  { href: '/national/clients-api', label: 'Clients API', allowed: can.national, paths: ['/national/clients-api'] },
  { href: '/national/support', label: 'Support', allowed: can.national, paths: ['/national/support'] },
  {
    href: '/national/envois-en-echec',
    label: 'Envois en échec',
    allowed: can.national,
    paths: ['/national/envois-en-echec'],
  },
  { href: '/national/fusions', label: 'Fusions', allowed: can.national, paths: ['/national/fusions'] },
  { href: '/national/journal', label: 'Journal', allowed: can.national, paths: ['/national/journal'] },
  {
    href: '/national/journal-audit',
    label: 'Journal d’audit',
    allowed: can.national,
    paths: ['/national/journal-audit'],
  },
  { href: '/statistiques', label: 'Statistiques', allowed: can.manageUsers, paths: ['/statistiques'] },
  { href: '/journal-audit', label: 'Journal d’audit', allowed: can.manageUsers, paths: ['/journal-audit'] },
  {
    href: '/national/statistiques',
    label: 'Statistiques nationales',
    allowed: can.national,
    paths: ['/national/statistiques'],
  },
];
