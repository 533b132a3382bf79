/**
 * A virtualised list of fixed-height rows: only the rows in (and near) the
 * viewport exist in the DOM, so thousands of targets stay responsive. Rows are
 * built on demand by `renderRow(index)`.
 */
import { h } from './dom.js';

const OVERSCAN = 10;

export class VirtualList {
  readonly el: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rows: HTMLElement;
  private count = 0;
  private first = -1;
  private last = -1;
  private frame = 0;

  constructor(
    private readonly rowHeight: number,
    private readonly renderRow: (index: number) => HTMLElement,
    maxHeight = '70vh',
  ) {
    this.rows = h('div', { class: 'vrows' });
    this.spacer = h('div', { class: 'vspacer' }, this.rows);
    this.el = h('div', { class: 'vlist', style: `max-height:${maxHeight}` }, this.spacer);
    this.el.addEventListener('scroll', () => {
      if (this.frame === 0) this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          this.draw(false);
        });
    });
  }

  /** Sets the number of rows and redraws from the top. */
  setCount(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * this.rowHeight}px`;
    this.el.scrollTop = 0;
    this.draw(true);
  }

  private draw(force: boolean): void {
    const view = this.el.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.el.scrollTop / this.rowHeight) - OVERSCAN);
    const last = Math.min(this.count, Math.ceil((this.el.scrollTop + view) / this.rowHeight) + OVERSCAN);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    this.rows.style.transform = `translateY(${first * this.rowHeight}px)`;
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const row = this.renderRow(i);
      row.style.height = `${this.rowHeight}px`;
      frag.appendChild(row);
    }
    this.rows.replaceChildren(frag);
  }
}
