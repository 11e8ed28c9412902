// `/mentions-legales`: who publishes the portal (the administration operating the platform,
// named generically: each deployment's operator is the publisher), who hosts it (AWS, region
// eu-west-3 Paris, docs/DEPLOY.md), the licence of its code and the DSFR's marks.

import { add, h } from '../../dom.js';
import { supportParagraph } from '../../support.js';
import { pageTitle, section } from '../../ui/layout.js';

export async function render(view) {
  add(
    view,
    ...pageTitle('Mentions légales'),
    section(
      'Éditeur',
      h(
        'p',
        {},
        'Le Portail HubEE est édité par l’administration qui exploite le Hub d’Échange de l’État (HubEE)\u00a0: le ministère ou la direction chargés de la plateforme, pour le compte des services instructeurs (communes, administrations) et des opérateurs de démarches en ligne qui l’utilisent.',
      ),
      h('p', {}, 'Directeur ou directrice de la publication\u00a0: le ou la responsable de cette administration.'),
      supportParagraph(),
    ),
    section(
      'Hébergement',
      h(
        'p',
        {},
        'Le portail et ses données sont hébergés par Amazon Web Services EMEA SARL, 38 avenue John F. Kennedy, L-1855 Luxembourg, dans sa région eu-west-3, à Paris (France)\u00a0: base de données, fichiers des télédossiers, journal d’audit et envoi des courriels. Les fichiers de l’interface (pages, styles, scripts, sans donnée personnelle) sont distribués par le réseau CloudFront du même hébergeur.',
      ),
    ),
    section(
      'Propriété intellectuelle',
      h(
        'p',
        {},
        'Le code du Portail HubEE est une implémentation ouverte, publiée sous licence publique de l’Union européenne (EUPL-1.2). Le portail utilise le Système de design de l’État (DSFR)\u00a0: la Marianne, le bloc-marque «\u00a0République française\u00a0» et la police Marianne sont réservés aux sites de l’État et ne peuvent pas être repris hors de ce cadre.',
      ),
    ),
    section(
      'Accessibilité et données personnelles',
      h(
        'p',
        {},
        'Voir la ',
        h('a', { href: '/accessibilite' }, 'déclaration d’accessibilité'),
        ', la page ',
        h('a', { href: '/donnees-personnelles' }, 'Données personnelles'),
        ' et la ',
        h('a', { href: '/gestion-des-cookies' }, 'gestion des cookies'),
        '.',
      ),
    ),
  );
}
