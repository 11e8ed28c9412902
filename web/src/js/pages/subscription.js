// `/abonnements/{id}`: one subscription. Its details; "Activer l'abonnement" with a date from a
// calendar; the access mode (in API mode the client id and secret are shown once, the secret can
// be regenerated, and the previous one revoked at once); the history of the API access changes
// (each one e-mailed to the local administrators); the technical delegate; the notification
// frequency and address; and the latest e-mail deliveries (where an administrator sees that the
// address bounces).

import { subscriptions } from '../api.js';
import { add, fill, h } from '../dom.js';
import { dateTime, day, parisMidnight, todayInParis } from '../format.js';
import { ACCESS_MODES, FREQUENCIES, deliveryBadge, procedureName, subscriptionBadge } from '../labels.js';
import { can } from '../session.js';
import { credentialsPanel } from '../ui/credentials.js';
import { alert, show } from '../ui/feedback.js';
import { button, clearProblems, form, radioGroup, showError, showProblems, textField } from '../ui/forms.js';
import { details, pageTitle, section, table } from '../ui/layout.js';
import { modal } from '../ui/modal.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function render(view, { params, setTitle, isCurrent }) {
  const id = params.id;
  const manages = can.manageSubscriptions();
  let s = await subscriptions.read(id);
  if (!isCurrent()) return;
  const title = s.procedureTitle ?? s.processCode;
  setTitle(`Abonnement - ${title}`);

  const messages = h('div', {});
  const infoSlot = h('div', {});
  const accessSlot = h('div', {});
  const credentialsSlot = h('div', {});
  const delegateSlot = h('div', {});
  const notificationsSlot = h('div', {});
  const deliveriesSlot = h('div', {});
  add(
    view,
    ...pageTitle(`Abonnement - ${title}`, {
      back: { href: '/abonnements', label: 'Retour aux abonnements' },
      lead: 'Informations détaillées sur l’abonnement',
    }),
    messages,
    infoSlot,
    section('Modalité d’accès', credentialsSlot, accessSlot),
    section('Délégué technique', delegateSlot),
    section('Notifications', notificationsSlot),
    section('Derniers envois d’e-mails', deliveriesSlot),
  );

  async function reload() {
    s = await subscriptions.read(id);
    if (isCurrent()) showAll();
  }

  /** Runs a change, then says how it went in `slot` (the form's own message slot). */
  async function change(slot, fields, run, done) {
    clearProblems(slot, fields);
    try {
      const answer = await run();
      await reload();
      show(slot, alert({ type: 'success', title: done, level: 3 }));
      return answer;
    } catch (error) {
      showError(slot, error, fields);
      return null;
    }
  }

  // --- Activation ---------------------------------------------------------------------------
  const activationProblems = h('div', {});
  const PAST_ACTIVATION = 'La date d’activation ne peut pas être passée : choisissez aujourd’hui ou une date à venir.';
  const activationDate = textField({
    label: 'Date d’activation',
    name: 'activateDateTime',
    type: 'date',
    required: true,
    value: todayInParis(),
    // The calendar offers no day in the past; the hub refuses one too.
    min: todayInParis(),
    hint: 'Aujourd’hui ou une date à venir : à partir de cette date, votre service reçoit les télédossiers de la démarche (dès 0 h, heure de Paris).',
  });
  const activationDialog = modal({
    title: 'Activer l’abonnement',
    content: [
      h('p', {}, 'Veuillez définir une date d’activation.'),
      activationProblems,
      form(
        {
          id: 'formulaire-activation',
          on: {
            submit: async (event) => {
              event.preventDefault();
              const when = parisMidnight(activationDate.value);
              if (!when) {
                return showProblems(
                  activationProblems,
                  [{ field: 'activateDateTime', message: 'Choisissez une date dans le calendrier.' }],
                  { activateDateTime: activationDate },
                );
              }
              // `YYYY-MM-DD` strings compare as the days they name.
              if (activationDate.value < todayInParis()) {
                return showProblems(activationProblems, [{ field: 'activateDateTime', message: PAST_ACTIVATION }], {
                  activateDateTime: activationDate,
                });
              }
              clearProblems(activationProblems, { activateDateTime: activationDate });
              try {
                await subscriptions.activate(id, when);
                await activationDialog.close();
                await reload();
                show(
                  messages,
                  alert({
                    type: 'success',
                    title: 'Abonnement activé',
                    text: `Votre service recevra les télédossiers à partir du ${day(when)}.`,
                  }),
                );
              } catch (error) {
                showError(activationProblems, error, { activateDateTime: activationDate });
              }
              return undefined;
            },
          },
        },
        activationDate.element,
      ),
    ],
    actions: [
      button('Activer', { type: 'submit', form: 'formulaire-activation' }),
      button('Annuler', { kind: 'secondary', on: { click: () => activationDialog.close() } }),
    ],
  });
  add(view, activationDialog.element);

  function showInfo() {
    const activable = manages && ['Actif', 'Inactif'].includes(s.status);
    fill(
      infoSlot,
      section(
        'Informations',
        details([
          ['Opérateur', s.operator],
          ['Démarche', procedureName(s.processCode, s.procedureTitle)],
          ...(s.procedureDescription ? [['Description de la démarche', s.procedureDescription]] : []),
          ...(s.legalFramework ? [['Cadre juridique', s.legalFramework]] : []),
          ['Service instructeur', `${s.subscriber?.name ?? ''} (N° SIRET : ${s.subscriber?.siret ?? ''})`.trim()],
          ['Administrateur local responsable', s.localAdministrator ?? '—'],
          ['N° DataPass', s.datapassId ?? '—'],
          ['Date de validation', day(s.validateDateTime) || '—'],
          ['Mis à jour le', day(s.updateDateTime) || '—'],
          ['Statut', subscriptionBadge(s.status)],
          ['Date d’activation', day(s.activateDateTime) || 'Non définie'],
          ['Date de suspension', day(s.endDateTime) || '—'],
        ]),
        activable &&
          h(
            'p',
            { class: 'fr-mt-2w' },
            activationDialog.opener(s.status === 'Actif' ? 'Modifier la date d’activation' : 'Activer l’abonnement', {
              class: 'fr-icon-calendar-line fr-btn--icon-left',
            }),
          ),
      ),
    );
  }

  // --- Access mode --------------------------------------------------------------------------
  const accessProblems = h('div', {});
  const mode = radioGroup({
    legend: 'Mode d’accès aux télédossiers',
    name: 'accessMode',
    inline: true,
    required: true,
    value: s.accessMode ?? '',
    hint: 'En mode API, votre logiciel métier reçoit les télédossiers ; vérifiez d’abord avec son éditeur qu’il est compatible.',
    options: Object.entries(ACCESS_MODES).map(([value, label]) => ({ value, label })),
  });
  const regenerate = async (revokePrevious) => {
    await regenerateDialog.close();
    const credentials = await change(
      accessProblems,
      {},
      () => subscriptions.regenerateSecret(id, revokePrevious),
      revokePrevious ? 'Nouveau secret généré, l’ancien est révoqué' : 'Nouveau secret généré',
    );
    if (credentials) showCredentials(credentials);
  };
  const regenerateDialog = modal({
    title: 'Régénérer le secret',
    content: [
      h(
        'p',
        {},
        'Un nouveau secret sera affiché une seule fois. L’ancien reste valable 24 heures, le temps de mettre à jour votre logiciel métier.',
      ),
      h(
        'p',
        {},
        'Si l’ancien secret a pu être divulgué, révoquez-le immédiatement : il cessera de fonctionner tout de suite, ainsi que les jetons obtenus avec lui.',
      ),
      h(
        'p',
        { class: 'fr-hint-text' },
        'Les administrateurs locaux de votre organisation sont prévenus par e-mail de chaque changement.',
      ),
    ],
    actions: [
      button('Régénérer le secret', { on: { click: () => regenerate(false) } }),
      button('Régénérer et révoquer l’ancien', { kind: 'secondary', on: { click: () => regenerate(true) } }),
      button('Annuler', { kind: 'tertiary', on: { click: () => regenerateDialog.close() } }),
    ],
  });
  add(view, regenerateDialog.element);
  const revokeDialog = modal({
    title: 'Révoquer l’ancien secret',
    content: [
      h(
        'p',
        {},
        'L’ancien secret cessera de fonctionner immédiatement, ainsi que les jetons obtenus avant la révocation. Vérifiez d’abord que votre logiciel métier utilise le nouveau secret.',
      ),
    ],
    actions: [
      button('Révoquer l’ancien secret', {
        on: {
          click: async () => {
            await revokeDialog.close();
            await change(
              accessProblems,
              {},
              () => subscriptions.revokePreviousSecret(id),
              'L’ancien secret est révoqué',
            );
          },
        },
      }),
      button('Annuler', { kind: 'secondary', on: { click: () => revokeDialog.close() } }),
    ],
  });
  add(view, revokeDialog.element);
  const accessForm = form(
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (!mode.value)
            return showProblems(accessProblems, [{ field: 'accessMode', message: 'Choisissez la modalité d’accès.' }], {
              accessMode: mode,
            });
          const answer = await change(
            accessProblems,
            { accessMode: mode },
            () => subscriptions.setAccessMode(id, mode.value),
            'Modalité d’accès enregistrée',
          );
          if (answer?.credentials) showCredentials(answer.credentials);
          return undefined;
        },
      },
    },
    mode.element,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, button('Enregistrer la modalité d’accès', { type: 'submit' })),
    ),
  );

  function showCredentials(credentials) {
    fill(credentialsSlot, credentialsPanel(credentials));
    const heading = credentialsSlot.querySelector('.fr-alert__title');
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }

  function showAccess() {
    const client = s.apiClient;
    fill(
      accessSlot,
      manages
        ? [accessProblems, accessForm]
        : h('p', {}, `Modalité d’accès : ${ACCESS_MODES[s.accessMode] ?? 'non choisie'}.`),
      s.accessMode === 'API' &&
        h(
          'div',
          { class: 'fr-mt-3w' },
          h('h3', { class: 'fr-h6' }, 'Client API'),
          client
            ? details([
                ['Identifiant client', h('span', { class: 'hubee-credential' }, client.clientId)],
                ...client.secrets.map((secret, i) => [
                  `Secret ${i + 1}`,
                  `créé le ${dateTime(secret.created)}${secret.expires ? `, valable jusqu'au ${dateTime(secret.expires)}` : ''}`,
                ]),
              ])
            : h('p', {}, 'Aucun client API actif pour cet abonnement.'),
          manages && client && regenerateDialog.opener('Régénérer le secret', { class: 'fr-btn--secondary fr-mt-2w' }),
          manages &&
            client?.secrets.some((secret) => secret.expires) &&
            revokeDialog.opener('Révoquer l’ancien secret maintenant', { class: 'fr-btn--tertiary fr-mt-2w fr-ml-2w' }),
        ),
      credentialHistory(),
    );
  }

  /** Who changed the API access, when, and how. */
  function credentialHistory() {
    const events = s.credentialHistory ?? [];
    if (events.length === 0) return null;
    const what = (e) => {
      switch (e.kind) {
        case 'ACCESS_MODE':
          return `Modalité d’accès : ${ACCESS_MODES[e.to] ?? e.to}${e.secretIssued ? ', secret émis' : ''}`;
        case 'SECRET_REGENERATED':
          return e.previousValidUntil
            ? `Secret régénéré, l’ancien valable jusqu’au ${dateTime(e.previousValidUntil)}`
            : 'Secret régénéré';
        case 'PREVIOUS_SECRET_REVOKED':
          return 'Ancien secret révoqué';
        default:
          return e.kind;
      }
    };
    return h(
      'div',
      { class: 'fr-mt-3w' },
      table({
        caption: 'Historique de l’accès API (administrateurs locaux prévenus par e-mail)',
        columns: [{ label: 'Date' }, { label: 'Changement' }, { label: 'Par' }],
        rows: events.map((e) => [dateTime(e.dateTime), what(e), e.actor]),
      }),
    );
  }

  // --- Technical delegate -------------------------------------------------------------------
  const delegateProblems = h('div', {});
  const delegate = {
    email: textField({
      label: 'Adresse électronique du délégué technique',
      name: 'email',
      type: 'email',
      required: true,
      spellcheck: 'false',
      value: s.technicalDelegate ?? '',
    }),
    firstName: textField({
      label: 'Prénom',
      name: 'firstName',
      hint: 'Obligatoire si la personne n’a pas encore de compte',
    }),
    lastName: textField({
      label: 'Nom',
      name: 'lastName',
      hint: 'Obligatoire si la personne n’a pas encore de compte',
    }),
  };
  const removeDelegate = h(
    'li',
    {},
    button('Retirer le délégué technique', {
      kind: 'secondary',
      on: {
        click: async () => {
          await change(
            delegateProblems,
            delegate,
            () => subscriptions.setDelegate(id, { email: null }),
            'Délégué technique retiré',
          );
          delegate.email.value = '';
        },
      },
    }),
  );
  const delegateButtons = h(
    'ul',
    { class: 'fr-btns-group fr-btns-group--inline-md' },
    h('li', {}, button('Enregistrer le délégué technique', { type: 'submit' })),
  );
  const delegateForm = form(
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (!EMAIL.test(delegate.email.value)) {
            return showProblems(
              delegateProblems,
              [{ field: 'email', message: 'Saisissez une adresse valide (format attendu : nom@domaine.fr).' }],
              delegate,
            );
          }
          const body = { email: delegate.email.value };
          if (delegate.firstName.value) body.firstName = delegate.firstName.value;
          if (delegate.lastName.value) body.lastName = delegate.lastName.value;
          await change(
            delegateProblems,
            delegate,
            () => subscriptions.setDelegate(id, body),
            'Délégué technique enregistré : une personne sans compte reçoit un e-mail pour activer le sien.',
          );
          return undefined;
        },
      },
    },
    delegate.email.element,
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-md-6' }, delegate.firstName.element),
      h('div', { class: 'fr-col-12 fr-col-md-6' }, delegate.lastName.element),
    ),
    delegateButtons,
  );

  function showDelegate() {
    // Only when there is a delegate to remove (the DSFR's buttons group would show a hidden item).
    if (s.technicalDelegate) delegateButtons.append(removeDelegate);
    else removeDelegate.remove();
    fill(
      delegateSlot,
      h(
        'p',
        {},
        s.technicalDelegate ? `Délégué technique actuel : ${s.technicalDelegate}.` : 'Aucun délégué technique.',
      ),
      manages &&
        h(
          'p',
          { class: 'fr-hint-text' },
          'Une personne extérieure à votre service (par exemple l’éditeur de votre logiciel métier) à qui vous confiez la gestion de cet abonnement.',
        ),
      manages && [delegateProblems, delegateForm],
    );
  }

  // --- Notifications ------------------------------------------------------------------------
  const notificationProblems = h('div', {});
  const notification = {
    notificationFrequency: radioGroup({
      legend: 'Fréquence de notification',
      name: 'notificationFrequency',
      inline: true,
      required: true,
      value: s.notificationFrequency ?? '',
      options: Object.entries(FREQUENCIES).map(([value, label]) => ({ value, label })),
    }),
    email: textField({
      label: 'Adresse électronique notifiée',
      name: 'email',
      type: 'email',
      required: true,
      spellcheck: 'false',
      value: s.email ?? '',
      hint: 'Une adresse collective (boîte partagée) permet à tout le service de voir l’arrivée des télédossiers. Facultative avec la fréquence « Aucune ».',
    }),
  };
  const notificationForm = form(
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          const frequency = notification.notificationFrequency.value;
          const address = notification.email.value;
          const found = [];
          if (!frequency) found.push({ field: 'notificationFrequency', message: 'Choisissez une fréquence.' });
          if (frequency !== 'aucune' && !address)
            found.push({ field: 'email', message: 'Indiquez l’adresse qui recevra les notifications.' });
          if (address && !EMAIL.test(address))
            found.push({ field: 'email', message: 'Adresse invalide (format attendu : nom@domaine.fr).' });
          if (found.length) return showProblems(notificationProblems, found, notification);
          await change(
            notificationProblems,
            notification,
            () => subscriptions.setNotifications(id, frequency, address),
            'Notifications enregistrées',
          );
          return undefined;
        },
      },
    },
    notification.notificationFrequency.element,
    notification.email.element,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, button('Enregistrer les notifications', { type: 'submit' })),
    ),
  );

  function showNotifications() {
    fill(
      notificationsSlot,
      manages
        ? [notificationProblems, notificationForm]
        : h(
            'p',
            {},
            `Fréquence : ${FREQUENCIES[s.notificationFrequency] ?? s.notificationFrequency}. Adresse notifiée : ${s.email ?? 'aucune'}.`,
          ),
    );
  }

  function showDeliveries() {
    const deliveries = s.deliveries ?? [];
    fill(
      deliveriesSlot,
      deliveries.length === 0
        ? h('p', {}, 'Aucun e-mail envoyé pour cet abonnement pour le moment.')
        : table({
            caption: 'Les 20 derniers envois',
            columns: [
              { label: 'Date' },
              { label: 'Statut' },
              { label: 'Adresse' },
              { label: 'Tentatives' },
              { label: 'Dernière erreur' },
            ],
            rows: deliveries.map((d) => [
              dateTime(d.dateTime) || '—',
              deliveryBadge(d.status),
              d.to ?? '—',
              String(d.attempts ?? 0),
              d.lastError ?? '—',
            ]),
          }),
    );
  }

  function showAll() {
    showInfo();
    showAccess();
    showDelegate();
    showNotifications();
    showDeliveries();
  }

  showAll();
}
