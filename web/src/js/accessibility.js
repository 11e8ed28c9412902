// The accessibility statement's facts: the manual checklist (RGAA criteria checked by hand on the
// portal's pages, with what was found), and the conformance status derived from it the way the
// RGAA counts it. The footer's "Accessibilité : …" link and the statement both show that status
// (a unit test holds index.html to it). The automated part is the end-to-end walk: axe-core on
// every page and dialog it opens, at 1280 and 320 px, where any serious or critical violation
// fails the run (docs/WEB.md).

/** When the checklist below was last gone through. */
export const CHECKED_ON = '2026-12-07';

/**
 * `[{criterion, topic, status, finding}]`; `status`: `conforme`, `non conforme` or
 * `non applicable`. A criterion is `conforme` only when it was checked on every page of the walk.
 */
export const CHECKLIST = [
  {
    criterion: '1.1 et 1.2',
    topic: 'Images',
    status: 'conforme',
    finding:
      'Les icônes sont décoratives et masquées aux technologies d’assistance\u00a0; le bloc-marque est du texte.',
  },
  {
    criterion: '3.2 et 3.3',
    topic: 'Contrastes',
    status: 'conforme',
    finding: 'Couleurs du DSFR\u00a0; axe-core vérifie les contrastes sur chaque page du parcours.',
  },
  {
    criterion: '4.1',
    topic: 'Multimédia',
    status: 'non applicable',
    finding: 'Le portail ne contient ni vidéo ni son.',
  },
  {
    criterion: '5.1 à 5.7',
    topic: 'Tableaux',
    status: 'conforme',
    finding:
      'Chaque tableau de données a un titre (caption) et des en-têtes de colonnes\u00a0; les graphiques des statistiques sont masqués aux technologies d’assistance, le tableau qui les suit donne les mêmes chiffres.',
  },
  {
    criterion: '7.1 et 7.3',
    topic: 'Scripts et clavier',
    status: 'conforme',
    finding: 'Dialogues, onglets, menus et champs de mot de passe du DSFR\u00a0; chaque action se fait au clavier.',
  },
  {
    criterion: '8.5 et 8.6',
    topic: 'Titre de page',
    status: 'conforme',
    finding: 'Chaque page a un titre propre, annoncé après chaque navigation.',
  },
  {
    criterion: '9.1',
    topic: 'Structure',
    status: 'conforme',
    finding:
      'Un titre de niveau 1 par page, puis des niveaux sans saut\u00a0; en-tête, menu, contenu et pied de page balisés.',
  },
  {
    criterion: '10.7',
    topic: 'Prise de focus',
    status: 'conforme',
    finding:
      'Le focus est visible (style du DSFR) et va au titre de la page, au résultat d’une action ou au résumé des erreurs.',
  },
  {
    criterion: '10.11',
    topic: 'Affichage à 320\u00a0px',
    status: 'conforme',
    finding:
      'Les pages principales tiennent dans 320\u00a0px de large (vérifié dans le parcours)\u00a0; les tableaux défilent dans leur cadre.',
  },
  {
    criterion: '11.1 et 11.2',
    topic: 'Étiquettes des champs',
    status: 'conforme',
    finding: 'Chaque champ a une étiquette visible, les indications et les erreurs lui sont reliées.',
  },
  {
    criterion: '11.10 et 11.11',
    topic: 'Contrôle de saisie',
    status: 'conforme',
    finding:
      'Les erreurs s’affichent sous leur champ et dans un résumé qui prend le focus, avec une suggestion de correction.',
  },
  {
    criterion: '12.7',
    topic: 'Liens d’évitement',
    status: 'conforme',
    finding: 'Liens «\u00a0Contenu\u00a0», «\u00a0Menu\u00a0» et «\u00a0Pied de page\u00a0» en tête de chaque page.',
  },
  {
    criterion: '13.1',
    topic: 'Limites de temps',
    status: 'non conforme',
    finding:
      'La session se ferme après 30 minutes sans activité (15 pour l’administration nationale) sans avertissement préalable ni moyen de la prolonger\u00a0; le code de vérification de la connexion n’est valable que quelques minutes.',
  },
  {
    criterion: '13.8',
    topic: 'Contenus en mouvement',
    status: 'non applicable',
    finding: 'Aucun contenu en mouvement ou clignotant.',
  },
];

/**
 * The RGAA's conformance status of a checklist: `{rate, label}`. `rate`: the share of applicable
 * criteria that conform, in percent (rounded down); `label`: `totalement conforme` (all of them),
 * `partiellement conforme` (at least half) or `non conforme` (less than half, or nothing checked).
 */
export function conformance(checklist = CHECKLIST) {
  const applicable = checklist.filter((item) => item.status !== 'non applicable');
  const conforming = applicable.filter((item) => item.status === 'conforme').length;
  if (applicable.length === 0) return { rate: 0, label: 'non conforme' };
  const rate = Math.floor((conforming * 100) / applicable.length);
  const label =
    conforming === applicable.length ? 'totalement conforme' : rate >= 50 ? 'partiellement conforme' : 'non conforme';
  return { rate, label };
}

/** The footer link's text: `Accessibilité : partiellement conforme`. */
export function footerLabel(checklist = CHECKLIST) {
  return `Accessibilité\u00a0: ${conformance(checklist).label}`;
}
