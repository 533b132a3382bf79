/**
 * A tiny element builder. Every string child becomes a text node and attributes
 * are set with `setAttribute`, so user-supplied data (label values, annotations,
 * errors) is always rendered as text — this file never assigns `innerHTML`.
 */

/** A child: a node, text, or nothing (skipped). */
export type Child = Node | string | number | null | undefined | false;

/** Attributes; `on*` keys with function values become event listeners; `class` and others are set as is. */
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Creates `<tag>` with `attrs` and `children`. Boolean `true` sets an empty attribute; false/null/undefined skip it. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs !== null) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (see `Child`) to `parent`. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Removes every child of `el`. */
export function clear(el: Element): void {
  while (el.firstChild !== null) el.removeChild(el.firstChild);
}

/** Replaces the children of `el`. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}
