// DSFR form controls, each with its label, hint and error message wired to the control
// (`aria-describedby`, `aria-invalid`), and the error summary of a form. Forms are `novalidate`:
// the portal checks fields itself and speaks French whatever the browser's language.

import { ApiError, idle } from '../api.js';
import { FIELDS } from '../messages.js';
import { fill, focus, h, uid } from '../dom.js';
import { alert } from './feedback.js';

/** The common part of every control: its group element, messages slot and error switch. */
function control(group, input, errorClass, messages) {
  const field = {
    element: group,
    input,
    setError(message) {
      group.classList.toggle(errorClass, Boolean(message));
      const target = input instanceof HTMLElement ? input : null;
      if (target) {
        if (message) target.setAttribute('aria-invalid', 'true');
        else target.removeAttribute('aria-invalid');
      }
      fill(messages, ...(message ? [h('p', { class: 'fr-message fr-message--error' }, message)] : []));
    },
    focus() {
      focus(input instanceof HTMLElement ? input : group.querySelector('input'));
    },
  };
  return field;
}

function labelFor(id, text, required, hint, extraClass) {
  return h(
    'label',
    { class: ['fr-label', extraClass], for: id },
    text,
    required && ' *',
    hint && h('span', { class: 'fr-hint-text' }, hint),
  );
}

/** A one-line input (`type`: text, email, tel, date, search…). */
export function textField({ label, name, type = 'text', hint, required = false, value = '', ...attributes }) {
  const id = uid(name);
  const messages = h('div', { class: 'fr-messages-group', id: `${id}-messages`, 'aria-live': 'polite' });
  const input = h('input', {
    class: 'fr-input',
    id,
    name,
    type,
    value: value ?? '',
    'aria-required': required ? 'true' : null,
    'aria-describedby': `${id}-messages`,
    ...attributes,
  });
  const group = h('div', { class: 'fr-input-group' }, labelFor(id, label, required, hint), input, messages);
  const field = control(group, input, 'fr-input-group--error', messages);
  Object.defineProperty(field, 'value', { get: () => input.value.trim(), set: (v) => (input.value = v ?? '') });
  return field;
}

export function textArea({ label, name, hint, required = false, value = '', rows = 4, ...attributes }) {
  const id = uid(name);
  const messages = h('div', { class: 'fr-messages-group', id: `${id}-messages`, 'aria-live': 'polite' });
  const input = h('textarea', {
    class: 'fr-input',
    id,
    name,
    rows,
    'aria-required': required ? 'true' : null,
    'aria-describedby': `${id}-messages`,
    ...attributes,
  });
  input.value = value ?? '';
  const group = h('div', { class: 'fr-input-group' }, labelFor(id, label, required, hint), input, messages);
  const field = control(group, input, 'fr-input-group--error', messages);
  Object.defineProperty(field, 'value', { get: () => input.value.trim(), set: (v) => (input.value = v ?? '') });
  return field;
}

/** A drop-down list. `options`: `[{value, label}]`; `placeholder`: a first empty option. */
export function selectField({ label, name, options, value = '', hint, required = false, placeholder }) {
  const id = uid(name);
  const messages = h('div', { class: 'fr-messages-group', id: `${id}-messages`, 'aria-live': 'polite' });
  const select = h(
    'select',
    { class: 'fr-select', id, name, 'aria-required': required ? 'true' : null, 'aria-describedby': `${id}-messages` },
    placeholder !== undefined && h('option', { value: '' }, placeholder),
    options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)),
  );
  const group = h('div', { class: 'fr-select-group' }, labelFor(id, label, required, hint), select, messages);
  const field = control(group, select, 'fr-select-group--error', messages);
  Object.defineProperty(field, 'value', { get: () => select.value, set: (v) => (select.value = v ?? '') });
  return field;
}

function fieldset({ legend, hint, required, inline, kind, name, options, isChecked }) {
  const id = uid(name);
  const legendId = `${id}-legend`;
  const messages = h('div', { class: 'fr-messages-group', id: `${id}-messages`, 'aria-live': 'polite' });
  const inputs = [];
  const elements = options.map((option, i) => {
    const inputId = `${id}-${i}`;
    const input = h('input', { type: kind, id: inputId, name, value: option.value, checked: isChecked(option.value) });
    inputs.push(input);
    return h(
      'div',
      { class: ['fr-fieldset__element', inline && 'fr-fieldset__element--inline'] },
      h(
        'div',
        { class: kind === 'radio' ? 'fr-radio-group' : 'fr-checkbox-group' },
        input,
        h(
          'label',
          { class: 'fr-label', for: inputId },
          option.label,
          option.hint && h('span', { class: 'fr-hint-text' }, option.hint),
        ),
      ),
    );
  });
  const group = h(
    'fieldset',
    { class: 'fr-fieldset', id, 'aria-labelledby': `${legendId} ${id}-messages` },
    h(
      'legend',
      { class: 'fr-fieldset__legend fr-fieldset__legend--regular', id: legendId },
      legend,
      required && ' *',
      hint && h('span', { class: 'fr-hint-text' }, hint),
    ),
    elements,
    messages,
  );
  const field = control(group, inputs[0] ?? group, 'fr-fieldset--error', messages);
  field.inputs = inputs;
  field.input = group;
  return field;
}

/** Radio buttons; `value` is the chosen option's value, or `''`. */
export function radioGroup({ legend, name, options, value = '', hint, required = false, inline = false }) {
  const field = fieldset({
    legend,
    hint,
    required,
    inline,
    kind: 'radio',
    name,
    options,
    isChecked: (v) => v === value,
  });
  Object.defineProperty(field, 'value', {
    get: () => field.inputs.find((i) => i.checked)?.value ?? '',
    set: (v) => field.inputs.forEach((i) => (i.checked = i.value === v)),
  });
  return field;
}

/** Checkboxes; `value` is the list of the checked options' values. */
export function checkboxGroup({ legend, name, options, values = [], hint, required = false, inline = false }) {
  const field = fieldset({
    legend,
    hint,
    required,
    inline,
    kind: 'checkbox',
    name,
    options,
    isChecked: (v) => values.includes(v),
  });
  Object.defineProperty(field, 'value', {
    get: () => field.inputs.filter((i) => i.checked).map((i) => i.value),
    set: (list) => field.inputs.forEach((i) => (i.checked = list.includes(i.value))),
  });
  return field;
}

/** The portal's password rule (PORTAL.md), as the checks shown under a new password. */
export const PASSWORD_RULES = [
  { text: '8 caractères minimum', test: (p) => [...p].length >= 8 },
  { text: '1 chiffre minimum', test: (p) => /\d/.test(p) },
  { text: '1 lettre majuscule minimum', test: (p) => /\p{Lu}/u.test(p) },
  { text: '1 caractère spécial minimum parmi\u00a0! @ # $ % & * ( )', test: (p) => /[!@#$%&*()]/.test(p) },
];

/**
 * The DSFR password field ("Afficher" is handled by the DSFR's script). With `rules`, each rule
 * shows as met or not while typing.
 */
export function passwordField({ label = 'Mot de passe', name = 'password', autocomplete, rules, required = true }) {
  const id = uid(name);
  const inputId = `${id}-input`;
  const ruleLines = (rules ?? []).map((rule) =>
    h(
      'p',
      { class: 'fr-message fr-message--info', 'data-fr-valid': 'validé', 'data-fr-error': 'en erreur' },
      rule.text,
    ),
  );
  const errorLine = h('div', {});
  const messages = h(
    'div',
    { class: 'fr-messages-group', id: `${inputId}-messages`, 'aria-live': 'polite' },
    rules && h('p', { class: 'fr-message' }, 'Votre mot de passe doit contenir\u00a0:'),
    ruleLines,
    errorLine,
  );
  const input = h('input', {
    class: 'fr-password__input fr-input',
    id: inputId,
    name,
    type: 'password',
    autocomplete,
    autocapitalize: 'off',
    autocorrect: 'off',
    spellcheck: 'false',
    'aria-required': required ? 'true' : null,
    'aria-describedby': `${inputId}-messages`,
  });
  const group = h(
    'div',
    { class: 'fr-password', id },
    labelFor(inputId, label, required, null, 'fr-password__label'),
    h('div', { class: 'fr-input-wrap' }, input),
    messages,
    h(
      'div',
      { class: 'fr-password__checkbox fr-checkbox-group fr-checkbox-group--sm' },
      h('input', { id: `${id}-show`, type: 'checkbox', 'aria-label': 'Afficher le mot de passe' }),
      h('label', { class: 'fr-password__checkbox fr-label', for: `${id}-show` }, 'Afficher'),
    ),
  );
  if (rules) {
    input.addEventListener('input', () => {
      rules.forEach((rule, i) => {
        const met = rule.test(input.value);
        ruleLines[i].classList.toggle('fr-message--info', input.value === '');
        ruleLines[i].classList.toggle('fr-message--valid', input.value !== '' && met);
        ruleLines[i].classList.toggle('fr-message--error', input.value !== '' && !met);
      });
    });
  }
  const field = control(group, input, 'fr-input-group--error', errorLine);
  Object.defineProperty(field, 'value', { get: () => input.value, set: (v) => (input.value = v ?? '') });
  return field;
}

/** A file input (DSFR upload). `value` is the chosen `File`, or `null`. */
export function uploadField({ label, name, hint }) {
  const id = uid(name);
  const messages = h('div', { class: 'fr-messages-group', id: `${id}-messages`, 'aria-live': 'polite' });
  const input = h('input', { class: 'fr-upload', type: 'file', id, name, 'aria-describedby': `${id}-messages` });
  const group = h('div', { class: 'fr-upload-group' }, labelFor(id, label, false, hint), input, messages);
  const field = control(group, input, 'fr-upload-group--error', messages);
  Object.defineProperty(field, 'value', {
    get: () => input.files?.[0] ?? null,
    set: () => {
      input.value = '';
    },
  });
  return field;
}

/** A macrotask later: requests a handler starts after its first `await` have started then. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Marks `region` busy until no request is under way: `aria-busy`, its buttons `aria-disabled`
 * (not `disabled`, which would drop the focus of the button just pressed) and refused meanwhile,
 * and `status` saying so. Returns a function that starts it; a start while busy does nothing.
 */
export function busyWhileLoading(region, status, text = 'Chargement en cours…') {
  let busy = false;
  // Presses while busy are refused before the page's own handlers see them.
  const refuse = (event) => {
    if (busy && (event.type === 'submit' || event.target.closest?.('button'))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  };
  region.addEventListener('submit', refuse, true);
  region.addEventListener('click', refuse, true);
  return async () => {
    if (busy) return;
    busy = true;
    const controls = [...region.querySelectorAll('button:not([disabled]):not([aria-disabled])')];
    region.setAttribute('aria-busy', 'true');
    for (const control of controls) control.setAttribute('aria-disabled', 'true');
    if (status) status.textContent = text;
    try {
      await nextTask();
      await idle();
    } finally {
      busy = false;
      region.removeAttribute('aria-busy');
      for (const control of controls) control.removeAttribute('aria-disabled');
      if (status) status.textContent = '';
    }
  };
}

/**
 * A form element that leaves checks to the portal. A search form (`role: 'search'`) says it is
 * searching while the list it asked for loads: a slow network shows, and a second press waits.
 */
export function form(attributes, ...children) {
  const element = h('form', { novalidate: true, ...attributes }, ...children);
  if (attributes.role === 'search') {
    const status = h('p', { class: 'fr-hint-text fr-mb-0 hubee-busy-status', role: 'status' });
    element.append(status);
    const start = busyWhileLoading(element, status, 'Recherche en cours…');
    // After the page's own handlers (added first), which start the requests.
    element.addEventListener('submit', () => start());
    element.addEventListener('click', (event) => {
      if (event.target.closest?.('button[type="button"]')) start();
    });
  }
  return element;
}

/** A DSFR button; `kind`: `primary` (default), `secondary`, `tertiary`. */
export function button(label, { kind = 'primary', type = 'button', icon, size, ...attributes } = {}) {
  return h(
    'button',
    {
      class: [
        'fr-btn',
        kind !== 'primary' && `fr-btn--${kind}`,
        icon && icon,
        icon && 'fr-btn--icon-left',
        size && `fr-btn--${size}`,
      ],
      type,
      ...attributes,
    },
    label,
  );
}

/** A group of buttons, side by side from the md breakpoint. */
export function buttons(...items) {
  return h(
    'ul',
    { class: 'fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left' },
    items
      .flat()
      .filter(Boolean)
      .map((item) => h('li', {}, item)),
  );
}

/**
 * The words a person sees for a field: its label or legend without the hint and the asterisk,
 * so that an error summary never names a field by the API's name for it (`phoneNumber`) when
 * messages.js has no name of its own for it.
 */
export function labelOf(field) {
  const label = field?.element?.querySelector?.('label, legend');
  if (!label) return null;
  const own = [...label.childNodes]
    .filter((node) => node.nodeType === 3)
    .map((node) => node.textContent)
    .join('')
    .replace(/\s*\*\s*$/, '')
    .trim();
  return own || null;
}

/**
 * Shows what went wrong: each problem under its field when the form has it, the others (and a
 * list of all of them) in an error summary put in `slot`, which takes the focus.
 * `fields`: `{apiFieldName: field}`.
 */
export function showProblems(slot, problems, fields = {}) {
  for (const field of Object.values(fields)) field.setError(null);
  const byField = new Map();
  for (const p of problems) {
    if (p.field && fields[p.field] && !byField.has(p.field)) byField.set(p.field, p.message);
  }
  for (const [name, message] of byField) fields[name].setError(message);
  const lines = problems.map((p) => {
    const name = p.field && (FIELDS[p.field] ?? labelOf(fields[p.field]));
    const text = name ? `${name} : ${p.message}` : p.message;
    const target = p.field && fields[p.field];
    if (!target) return text;
    return h(
      'a',
      {
        href: `#${target.element.id || target.input.id}`,
        on: {
          click: (event) => {
            event.preventDefault();
            target.focus();
          },
        },
      },
      text,
    );
  });
  const unique = lines.filter(
    (line, i) => lines.findIndex((l) => (l.textContent ?? l) === (line.textContent ?? line)) === i,
  );
  const summary = alert({
    type: 'error',
    title: unique.length > 1 ? `${unique.length} problèmes à corriger` : 'Un problème à corriger',
    items: unique,
  });
  fill(slot, summary);
  focus(summary.querySelector('.fr-alert__title'));
}

/** The same, from a failed call. */
export function showError(slot, error, fields = {}) {
  if (error instanceof ApiError) {
    showProblems(slot, error.problems, fields);
  } else {
    showProblems(
      slot,
      [{ field: null, message: 'Une erreur inattendue s’est produite\u00a0: rechargez la page.' }],
      fields,
    );
    console.error(error);
  }
}

/** Clears the errors of a form. */
export function clearProblems(slot, fields = {}) {
  fill(slot);
  for (const field of Object.values(fields)) field.setError(null);
}

/** `Les champs marqués d'un astérisque (*) sont obligatoires.` */
export function requiredNote() {
  return h('p', { class: 'fr-hint-text fr-mb-2w' }, 'Les champs marqués d’un astérisque (*) sont obligatoires.');
}
