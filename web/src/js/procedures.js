// The procedures (démarches) a person deals with, for the inbox filter and the habilitations of
// an account: those the organisation subscribes to (with their titles) when the person may read
// the subscriptions, else the person's own habilitations (codes only).

import { subscriptions } from './api.js';
import { can, user } from './session.js';

/** `[{code, title}]`, sorted by code; `title` may be `null`. Subscriptions refused give none. */
export async function subscribedProcedures() {
  if (!can.readSubscriptions()) {
    return (user()?.habilitations ?? []).map((code) => ({ code, title: null }));
  }
  const { items } = await subscriptions.list();
  const byCode = new Map();
  for (const s of items) {
    if (s.status !== 'Refusé') byCode.set(s.processCode, { code: s.processCode, title: s.procedureTitle ?? null });
  }
  return [...byCode.values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** The procedures whose dossiers the person sees: its habilitations, or all for a local administrator. */
export async function visibleProcedures() {
  const me = user();
  const all = await subscribedProcedures().catch(() => []);
  if (me?.actorType === 'LOCAL_ADMIN') return all;
  const own = me?.habilitations ?? [];
  const titled = new Map(all.map((p) => [p.code, p]));
  return own.map((code) => titled.get(code) ?? { code, title: null });
}

/** `Certificat de décès électronique (CERTDC)`, or the code alone. */
export function procedureLabel(p) {
  return p.title ? `${p.title} (${p.code})` : p.code;
}
