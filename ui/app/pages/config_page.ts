/** Configuration (`/config`): the loaded configuration as YAML (`api/v1/status/config`), with a copy button. */
import { obj, str } from '../decode.js';
import { h } from '../dom.js';
import type { PageContext } from '../routes.js';
import { loadInto } from './page_loader.js';

export function configPage(root: HTMLElement, _ctx: PageContext): () => void {
  return loadInto(root, 'api/v1/status/config', undefined, (r, box) => {
    const yaml = str(obj(r.data).yaml);
    const copy = h('button', { type: 'button' }, 'Copy to clipboard');
    copy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(yaml).then(() => (copy.textContent = 'Copied'));
    });
    box.appendChild(h('div', { class: 'toolbar' }, copy));
    box.appendChild(h('pre', { class: 'config-yaml' }, yaml));
  });
}
