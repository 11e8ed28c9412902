// `/national/envois-en-echec`: the e-mails the platform could not deliver after their last retry
// (new-dossier notifications to a subscription's address, and e-mails to people), newest first,
// 20 a page: when, what, to whom, for which organisation and procedure, why; "Renvoyer" sends one
// again with its retries afresh.

import { national } from '../../api.js';
import { add, fill, focus, h, srOnly } from '../../dom.js';
import { dateTime, isoDateTime, plural } from '../../format.js';
import { DELIVERY_KINDS, DELIVERY_MESSAGES, deliveryReason } from '../../national.js';
import { alert, errorAlert, show } from '../../ui/feedback.js';
import { button } from '../../ui/forms.js';
import { loading, table, time } from '../../ui/layout.js';
import { cursorPager } from '../../ui/pager.js';
import { nationalTitle, organisationHref, procedureHref } from './common.js';

const PAGE_SIZE = 20;

/** The address, or where a notification goes when the item does not name it. */
function recipientOf(d) {
  return d.to ?? 'Adresse des notifications de l’abonnement';
}

export async function render(view, { isCurrent }) {
  const messages = h('div', {});
  const status = h('p', { class: 'fr-mb-2w', role: 'status' });
  const results = h('div', {}, loading('Chargement des envois en échec…'));
  const pager = cursorPager({
    label: 'Pages des envois en échec',
    onMove: async () => {
      await load();
      focus(status);
    },
  });
  add(
    view,
    ...nationalTitle('Envois en échec', {
      lead: 'Les e-mails que la plateforme n’a pas pu remettre après leur dernière tentative, les plus récents d’abord. Corrigez d’abord la cause (une adresse erronée se corrige dans l’abonnement ou le compte), puis renvoyez-les.',
    }),
    messages,
    status,
    results,
    pager.element,
  );

  async function resend(d, control) {
    control.disabled = true;
    const what = DELIVERY_MESSAGES[d.message] ?? d.message;
    try {
      await national.resendDelivery(d.id);
      await load();
      show(
        messages,
        alert({
          type: 'success',
          title: 'E-mail renvoyé',
          text: `« ${what} » à ${recipientOf(d)} repart avec de nouvelles tentatives. S’il échoue encore, il reviendra dans cette liste.`,
        }),
      );
    } catch (error) {
      control.disabled = false;
      show(messages, errorAlert(error, { title: 'L’e-mail n’a pas été renvoyé' }));
    }
  }

  let loads = 0;
  async function load() {
    loads += 1;
    const ticket = loads;
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await national.deliveries({ cursor: pager.cursor, limit: PAGE_SIZE });
      if (!isCurrent() || ticket !== loads) return;
      const count = plural(page.items.length, 'e-mail en échec', 'e-mails en échec');
      status.textContent = pager.page > 1 || page.nextCursor ? `Page ${pager.page} : ${count}.` : `${count}.`;
      fill(
        results,
        page.items.length === 0
          ? h(
              'p',
              { class: 'hubee-empty' },
              'Aucun e-mail en échec\u00a0: tous les envois ont abouti ou sont en cours.',
            )
          : table({
              caption: `E-mails en échec, page ${pager.page}`,
              id: 'envois',
              columns: [
                { label: 'Date' },
                { label: 'Type' },
                { label: 'Destinataire' },
                { label: 'Organisation et démarche' },
                { label: 'Motif' },
                { label: 'Actions', srOnly: true },
              ],
              rows: page.items.map((d) => {
                const when = d.failedAt ?? d.created;
                const org = d.recipient;
                const resendButton = button(['Renvoyer', srOnly(` l’e-mail à ${recipientOf(d)}`)], {
                  kind: 'secondary',
                  size: 'sm',
                  icon: 'fr-icon-mail-line',
                  on: { click: () => resend(d, resendButton) },
                });
                return [
                  time(isoDateTime(when), dateTime(when)),
                  {
                    header: h(
                      'span',
                      {},
                      DELIVERY_MESSAGES[d.message] ?? d.message,
                      h('span', { class: 'fr-hint-text' }, DELIVERY_KINDS[d.kind] ?? d.kind),
                    ),
                  },
                  h('span', { class: 'hubee-wrap' }, recipientOf(d)),
                  org || d.processCode
                    ? h(
                        'ul',
                        { class: 'hubee-plain-list' },
                        org &&
                          h(
                            'li',
                            {},
                            h(
                              'a',
                              { href: organisationHref(org.companyRegister, org.branchCode) },
                              `${org.companyRegister} (${org.branchCode})`,
                            ),
                          ),
                        d.processCode && h('li', {}, h('a', { href: procedureHref(d.processCode) }, d.processCode)),
                      )
                    : '—',
                  h(
                    'span',
                    { class: 'hubee-wrap' },
                    deliveryReason(d.lastError),
                    h('span', { class: 'fr-hint-text' }, `Après ${plural(d.attempts, 'tentative')}`),
                  ),
                  resendButton,
                ];
              }),
            }),
      );
      pager.shown(page.nextCursor);
    } catch (error) {
      if (ticket !== loads) return;
      status.textContent = '';
      fill(results, errorAlert(error, { title: 'La liste des envois en échec est indisponible' }));
      pager.shown(null);
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  await load();
}
