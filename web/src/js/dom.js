// Builds DOM nodes without HTML strings: text always stays text (no injection from data), and
// nothing needs an inline style or script, which the Content-Security-Policy forbids.

const PROPERTIES = new Set(['value', 'checked', 'selected', 'indeterminate', 'disabled', 'hidden']);

/**
 * `h('a', {href: '/x', class: 'fr-link'}, 'text', child, [more])`.
 * Props: `class` (string or array, falsy items dropped), `on` ({event: handler}), DOM
 * properties (`value`, `checked`…), anything else as an attribute (`true` → present, `false`,
 * `null` or `undefined` → absent). Children: nodes, strings, numbers, arrays; falsy ones skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (name === 'class') {
      const classes = [value].flat().filter(Boolean).join(' ');
      if (classes) element.className = classes;
    } else if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (PROPERTIES.has(name)) {
      element[name] = value;
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  element.append(...nodes(children));
  return element;
}

/** Flattens children into nodes, dropping `null`, `undefined`, `false` and `''`. */
export function nodes(children) {
  return children
    .flat(Infinity)
    .filter((child) => child !== null && child !== undefined && child !== false && child !== '')
    .map((child) => (child instanceof Node ? child : document.createTextNode(String(child))));
}

/** Appends children (as `h` takes them) to an element. */
export function add(element, ...children) {
  element.append(...nodes(children));
  return element;
}

/** Replaces an element's content. */
export function fill(element, ...children) {
  element.replaceChildren(...nodes(children));
  return element;
}

let counter = 0;
/** A page-unique id, for labels, descriptions and ARIA references. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Moves keyboard and screen-reader focus to an element that is not focusable by itself. */
export function focus(element) {
  if (!element) return;
  if (!element.hasAttribute('tabindex') && !element.matches('a[href], button, input, select, textarea')) {
    element.setAttribute('tabindex', '-1');
  }
  element.focus();
}

/** A text visible to screen readers only. */
export function srOnly(text) {
  return h('span', { class: 'fr-sr-only' }, text);
}

/** A decorative DSFR icon. */
export function icon(name, size) {
  return h('span', { class: [name, size && `fr-icon--${size}`], 'aria-hidden': 'true' });
}
