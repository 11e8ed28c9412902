// What a team does on a dossier besides its status: who follows it ("Me l'attribuer",
// "Attribuer à un collègue", "Ne plus suivre"), messages to the operator, internal comments in
// a list of their own, and a counter on every long text.

import { dossiers } from '../api.js';
import { fill, h } from '../dom.js';
import { dateTime, isoDateTime } from '../format.js';
import { alert, show } from '../ui/feedback.js';
import { button, clearProblems, form, selectField, showError, showProblems, textArea } from '../ui/forms.js';
import { section, time } from '../ui/layout.js';

export const MAX_TEXT = 1000;

/**
 * A text area of at most `MAX_TEXT` characters with a live counter: a longer text is refused
 * with a message when sent, never cut (pasting 1,200 characters keeps them all, to shorten).
 */
export function longText(options) {
  const field = textArea(options);
  const counter = h('p', { class: 'fr-hint-text fr-mt-1v', 'aria-live': 'polite' });
  const update = () => {
    const n = field.value.length;
    counter.textContent =
      n > MAX_TEXT
        ? `${n} caractères sur ${MAX_TEXT} : raccourcissez le texte de ${n - MAX_TEXT} caractère${n - MAX_TEXT > 1 ? 's' : ''}.`
        : `${n} caractère${n > 1 ? 's' : ''} sur ${MAX_TEXT}.`;
    counter.classList.toggle('fr-error-text', n > MAX_TEXT);
  };
  field.input.addEventListener('input', update);
  update();
  field.element.append(counter);
  return {
    ...field,
    element: field.element,
    input: field.input,
    get value() {
      return field.value;
    },
    set value(v) {
      field.value = v;
      update();
    },
    /** The problem to show before sending, if any. */
    problem(name, empty) {
      if (!field.value.trim()) return { field: name, message: empty };
      if (field.value.length > MAX_TEXT)
        return { field: name, message: `Le texte dépasse ${MAX_TEXT} caractères : raccourcissez-le.` };
      return null;
    },
  };
}

/** "Suivi du télédossier": who holds it, and the buttons to take, give or release it. */
export function assignmentSection({ id, me, manages, processCode, onChange }) {
  const state = { assignee: null, colleagues: null };
  const problems = h('div', {});
  const holder = h('p', { class: 'fr-mb-2w', 'data-assignee': '' });
  const controls = h('div', {});
  const element = section('Suivi du télédossier', problems, holder, controls);

  async function change(email) {
    clearProblems(problems, {});
    try {
      if (email) {
        const { assignee } = await dossiers.assign(id, email);
        state.assignee = assignee;
      } else {
        await dossiers.release(id);
        state.assignee = null;
      }
      render();
      show(
        problems,
        alert({
          type: 'success',
          title: state.assignee ? `Télédossier suivi par ${state.assignee.name}` : 'Télédossier sans agent attribué',
          level: 3,
        }),
      );
      await onChange();
    } catch (error) {
      showError(problems, error, {});
    }
  }

  async function colleagues() {
    state.colleagues ??= await dossiers.agents(processCode).catch(() => []);
    return state.colleagues;
  }

  async function giveForm() {
    const others = (await colleagues()).filter((c) => c.email !== state.assignee?.email);
    if (others.length === 0) return h('p', { class: 'fr-hint-text' }, 'Aucun autre agent ne traite cette démarche.');
    const choice = selectField({
      label: 'Attribuer à un collègue',
      name: 'assignee',
      placeholder: 'Choisissez un agent',
      options: others.map((c) => ({ value: c.email, label: `${c.firstName} ${c.lastName} (${c.email})` })),
    });
    return form(
      {
        class: 'fr-mt-2w',
        on: {
          submit: (event) => {
            event.preventDefault();
            clearProblems(problems, { assignee: choice });
            if (!choice.value)
              return showProblems(problems, [{ field: 'assignee', message: 'Choisissez un agent.' }], {
                assignee: choice,
              });
            return change(choice.value);
          },
        },
      },
      choice.element,
      button('Attribuer', { type: 'submit', kind: 'secondary', size: 'sm' }),
    );
  }

  async function render() {
    const a = state.assignee;
    fill(
      holder,
      a ? `Suivi par ${a.name}${a.email === me ? ' (vous)' : ''}.` : 'Aucun agent n’est attribué à ce télédossier.',
    );
    if (!manages) return fill(controls);
    const mine = a?.email === me;
    return fill(
      controls,
      h(
        'ul',
        { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--sm' },
        !mine && h('li', {}, button('Me l’attribuer', { size: 'sm', on: { click: () => change(me) } })),
        a &&
          h(
            'li',
            {},
            button(mine ? 'Ne plus suivre' : 'Retirer l’attribution', {
              kind: 'tertiary',
              size: 'sm',
              on: { click: () => change(null) },
            }),
          ),
      ),
      await giveForm(),
    );
  }

  return {
    element,
    update(dossier) {
      state.assignee = dossier.assignee ?? null;
      render();
    },
  };
}

/**
 * A form sending one long text (`send(text)`), its problems above it; once sent, the field is
 * emptied, `done()` runs (the history read again) and `sent` is said (an alert's title and text).
 */
export function textForm({ label, name, hint, empty, submitLabel, send, done, sent }) {
  const problems = h('div', {});
  const text = longText({ label, name, hint });
  const fields = { [name]: text };
  const submit = button(submitLabel, { type: 'submit', kind: 'secondary' });
  return form(
    {
      class: 'hubee-no-print',
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          const problem = text.problem(name, empty);
          if (problem) return showProblems(problems, [problem], fields);
          submit.disabled = true;
          try {
            await send(text.value);
            text.value = '';
            await done();
            show(problems, alert({ type: 'success', level: 3, ...sent }));
          } catch (error) {
            showError(problems, error, fields);
          } finally {
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    problems,
    text.element,
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' }, h('li', {}, submit)),
  );
}

/** "Envoyer un message à l'opérateur": an exchange without a status change. */
export function messageSection({ id, onSent }) {
  return section(
    'Envoyer un message à l’opérateur',
    textForm({
      label: 'Message à l’opérateur',
      name: 'message',
      hint: 'Transmis à l’opérateur de la démarche, qui en informe le demandeur\u00a0; le statut ne change pas.',
      empty: 'Écrivez le message.',
      submitLabel: 'Envoyer le message',
      send: (text) => dossiers.message(id, text),
      done: onSent,
      sent: { title: 'Message envoyé', text: 'L’opérateur en est informé.' },
    }),
  );
}

/** The internal comments written so far, newest first (they are in the history too). */
export function commentList(comments) {
  if (!comments.length) return h('p', { class: 'fr-hint-text' }, 'Aucun commentaire pour le moment.');
  return h(
    'ul',
    { class: 'hubee-comments', 'aria-label': 'Commentaires internes' },
    comments.map((c) =>
      h(
        'li',
        { class: 'fr-mb-2w' },
        h('blockquote', { class: 'hubee-comment fr-mb-1v' }, c.text),
        h(
          'p',
          { class: 'fr-text--sm fr-mb-0' },
          time(isoDateTime(c.dateTime), dateTime(c.dateTime)),
          ` — ${c.author ?? c.actorId}`,
        ),
      ),
    ),
  );
}
