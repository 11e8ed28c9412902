// `/accessibilite`: the accessibility statement, on the RGAA's model: conformance status (derived
// from the checklist of ../../accessibility.js), how it was checked, what is not accessible,
// how to report a problem, and the recourse to the Défenseur des droits.

import { CHECKED_ON, CHECKLIST, conformance } from '../../accessibility.js';
import { add, h } from '../../dom.js';
import { day } from '../../format.js';
import { supportParagraph } from '../../support.js';
import { pageTitle, section, table } from '../../ui/layout.js';

const external = (href, text) =>
  h('a', { href, target: '_blank', rel: 'noopener', title: `${text} - nouvelle fenêtre` }, text);

export async function render(view) {
  const { rate, label } = conformance();
  const failing = CHECKLIST.filter((item) => item.status === 'non conforme');
  add(
    view,
    ...pageTitle('Déclaration d’accessibilité'),
    h(
      'p',
      {},
      'L’administration qui exploite le Hub d’Échange de l’État (HubEE) s’engage à rendre ses services numériques accessibles, conformément à l’article 47 de la loi n°\u00a02005-102 du 11 février 2005.',
    ),
    h('p', {}, 'Cette déclaration d’accessibilité s’applique au Portail HubEE.'),
    section(
      'État de conformité',
      h(
        'p',
        {},
        'Le Portail HubEE est ',
        h('strong', {}, label),
        ' avec le référentiel général d’amélioration de l’accessibilité (RGAA), version 4.1.2',
        failing.length > 0 ? ', en raison des non-conformités énumérées ci-dessous.' : '.',
      ),
    ),
    section(
      'Résultats des tests',
      h(
        'p',
        {},
        `${rate}\u00a0% des critères vérifiés sont respectés. Ce taux porte sur les critères de la liste de contrôle ci-dessous, vérifiés à la main, et non sur un audit complet des 106 critères du RGAA par un organisme indépendant, qui reste à mener.`,
      ),
      table({
        multiline: true,
        caption: 'Liste de contrôle manuelle',
        columns: [{ label: 'Critère RGAA' }, { label: 'Thème' }, { label: 'Résultat' }, { label: 'Constat' }],
        rows: CHECKLIST.map((item) => [{ header: item.criterion }, item.topic, item.status, item.finding]),
      }),
    ),
    section(
      'Contenus non accessibles',
      h('h3', {}, 'Non-conformités'),
      failing.length > 0
        ? h(
            'ul',
            {},
            failing.map((item) =>
              h('li', {}, `Critère ${item.criterion} (${item.topic.toLowerCase()})\u00a0: ${item.finding}`),
            ),
          )
        : h('p', {}, 'Aucune non-conformité relevée.'),
      h('h3', {}, 'Dérogations pour charge disproportionnée'),
      h('p', {}, 'Aucune.'),
      h('h3', {}, 'Contenus non soumis à l’obligation d’accessibilité'),
      h(
        'ul',
        {},
        h(
          'li',
          {},
          'Les pièces jointes des télédossiers (PDF, images, fichiers XML…), produites par les usagers et les opérateurs des démarches\u00a0: ce sont des contenus de tiers, que le portail transmet tels quels.',
        ),
      ),
    ),
    section(
      'Établissement de cette déclaration',
      h('p', {}, `Cette déclaration a été établie le ${day(CHECKED_ON)}.`),
      h('h3', {}, 'Technologies utilisées'),
      h('p', {}, 'HTML5, CSS, JavaScript, WAI-ARIA, et le Système de design de l’État (DSFR).'),
      h('h3', {}, 'Méthode et outils'),
      h(
        'ul',
        {},
        h(
          'li',
          {},
          'Tests automatisés\u00a0: axe-core (règles WCAG 2.1 A et AA et bonnes pratiques) sur chaque page et chaque dialogue du parcours de bout en bout, à 1280 et à 320\u00a0pixels de large, dans Chromium\u00a0; toute violation grave ou critique fait échouer le parcours, qui est rejoué à chaque modification du portail.',
        ),
        h(
          'li',
          {},
          'Vérification manuelle\u00a0: la liste de contrôle ci-dessus, au clavier et par la lecture du code des pages. Aucun test avec un lecteur d’écran n’a encore été consigné.',
        ),
      ),
      h('h3', {}, 'Pages ayant fait l’objet de la vérification'),
      h(
        'p',
        {},
        'Connexion, mot de passe oublié, télédossiers, télédossier, gestion des comptes et des abonnements, statistiques, journal d’audit, pages de l’administration nationale, aide et pages d’information du pied de page.',
      ),
    ),
    section(
      'Retour d’information et contact',
      h(
        'p',
        {},
        'Si vous n’arrivez pas à accéder à un contenu ou à un service, signalez-le pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme.',
      ),
      supportParagraph(),
    ),
    section(
      'Voies de recours',
      h(
        'p',
        {},
        'Si vous constatez un défaut d’accessibilité vous empêchant d’accéder à un contenu ou à une fonctionnalité du portail, que vous nous le signalez et que vous ne parvenez pas à obtenir une réponse de notre part, vous êtes en droit de faire parvenir vos doléances ou une demande de saisine au Défenseur des droits. Plusieurs moyens sont à votre disposition\u00a0:',
      ),
      h(
        'ul',
        {},
        h(
          'li',
          {},
          'écrire un message au Défenseur des droits\u00a0: ',
          external('https://formulaire.defenseurdesdroits.fr/', 'formulaire en ligne'),
        ),
        h(
          'li',
          {},
          'contacter le délégué du Défenseur des droits dans votre région\u00a0: ',
          external('https://www.defenseurdesdroits.fr/saisir/delegues', 'liste des délégués'),
        ),
        h(
          'li',
          {},
          'envoyer un courrier par la poste (gratuit, ne pas mettre de timbre)\u00a0: Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.',
        ),
      ),
    ),
  );
}
