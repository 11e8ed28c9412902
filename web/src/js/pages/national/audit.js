// `/national/journal-audit`: "Journal d'audit" for the national administrator: every
// organisation's entries and the platform's, or one organisation's (audit.js draws them).

import { renderAudit } from '../audit.js';

export async function render(view, context) {
  return renderAudit(view, context, { national: true });
}
