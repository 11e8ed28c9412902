// `/national/statistiques`: "Statistiques nationales", for the national administrator: every
// organisation's figures, or one organisation's, or one operator's (statistics.js draws them).

import { renderStatistics } from './statistics.js';

export async function render(view, context) {
  return renderStatistics(view, context, { national: true });
}
