// DOM building without HTML strings: every piece of user or catalogue text
// becomes a text node, so nothing a user types can turn into markup.

const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'required', 'multiple']);

/** Appends children (nodes, strings, numbers, nested arrays; null and false skipped). */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.setAttribute('class', value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  return el;
}

/** `h('a', {href: '/'}, 'Home')`: an HTML element with attributes and children. */
export function h(tag, attrs, ...children) {
  return append(apply(document.createElement(tag), attrs), ...children);
}

/** The same for SVG elements. */
export function svg(tag, attrs, ...children) {
  return append(apply(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs), ...children);
}

/** Replaces everything inside `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, ...children);
}

/**
 * Text that the catalogue or a user supplied (a title, a name, an overview),
 * marked `translate="no"`: it is shown as stored in every language, and the
 * end-to-end test skips it when it checks that Korean pages have no English.
 */
export function content(text, tag = 'span', attrs = {}) {
  return h(tag, { translate: 'no', ...attrs }, text);
}
