/**
 * The expression box: a textarea with an autocomplete list (metric names,
 * functions, label names and values) and a syntax-error marker placed under
 * the `line:column` the API reports (`1:14: parse error: …`).
 * Keys: Enter runs the query (Shift+Enter inserts a newline); with the list
 * open, ↑/↓ choose, Enter/Tab accept, Escape closes; Ctrl+Space opens it.
 */
import { clear, h } from '../dom.js';
import { completionContext } from './completion_context.js';
import { type Suggestion, suggestions } from './completion_source.js';

/** The position of a PromQL syntax error in an API error message, or null. */
export function errorPosition(message: string): { line: number; col: number; text: string } | null {
  const m = /(?:^|\s|")(\d+):(\d+): (parse error: .*)$/s.exec(message);
  if (m === null) return null;
  return { line: Number(m[1]), col: Number(m[2]), text: m[3] ?? '' };
}

export class ExprInput {
  readonly el: HTMLElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly list: HTMLUListElement;
  private readonly errorBox: HTMLElement;
  private items: Suggestion[] = [];
  private active = 0;
  private from = 0;
  private request = 0;

  constructor(value: string, private readonly onExecute: () => void) {
    this.textarea = h('textarea', { class: 'expr', rows: 1, spellcheck: 'false', autocomplete: 'off', placeholder: 'Expression (press Enter to run)', 'aria-label': 'Expression' });
    this.textarea.value = value;
    this.list = h('ul', { class: 'completions', role: 'listbox', hidden: true });
    this.errorBox = h('div', { class: 'expr-error', hidden: true });
    this.el = h('div', { class: 'expr-input' }, h('div', { class: 'expr-wrap' }, this.textarea, this.list), this.errorBox);
    this.textarea.addEventListener('input', () => {
      this.autosize();
      void this.complete(false);
    });
    this.textarea.addEventListener('keydown', (e) => this.onKey(e));
    this.textarea.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    queueMicrotask(() => this.autosize());
  }

  get value(): string {
    return this.textarea.value;
  }

  focus(): void {
    this.textarea.focus();
  }

  /** Shows `message`; when it carries a position, a caret marks that column of that line. */
  showError(message: string, expr: string): void {
    clear(this.errorBox);
    this.errorBox.hidden = false;
    const pos = errorPosition(message);
    this.errorBox.appendChild(h('div', { class: 'error-msg' }, message));
    if (pos !== null) {
      const line = expr.split('\n')[pos.line - 1] ?? '';
      const col = Math.max(1, Math.min(pos.col, line.length + 1));
      this.errorBox.appendChild(
        h(
          'pre',
          { class: 'error-pos', 'data-line': pos.line, 'data-col': pos.col },
          h('span', { class: 'error-line' }, line.slice(0, col - 1), h('mark', { class: 'error-at' }, line.slice(col - 1, col) || ' '), line.slice(col)),
          '\n',
          h('span', { class: 'caret' }, `${' '.repeat(col - 1)}^ ${pos.text}`),
        ),
      );
      this.textarea.classList.add('has-error');
    }
  }

  clearError(): void {
    clear(this.errorBox);
    this.errorBox.hidden = true;
    this.textarea.classList.remove('has-error');
  }

  private autosize(): void {
    this.textarea.style.height = 'auto';
    this.textarea.style.height = `${Math.min(this.textarea.scrollHeight + 2, 300)}px`;
  }

  private onKey(e: KeyboardEvent): void {
    const open = !this.list.hidden && this.items.length > 0;
    if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : this.items.length - 1)) % this.items.length;
      this.renderList();
    } else if (open && (e.key === 'Enter' || e.key === 'Tab')) {
      e.preventDefault();
      this.accept(this.active);
    } else if (open && e.key === 'Escape') {
      e.preventDefault();
      this.close();
    } else if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      void this.complete(true);
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      this.close();
      this.onExecute();
    }
  }

  private async complete(explicit: boolean): Promise<void> {
    const id = ++this.request;
    const ctx = completionContext(this.textarea.value, this.textarea.selectionStart);
    if (ctx.kind === 'none' || (!explicit && ctx.kind === 'metric' && ctx.prefix.length < 1)) {
      this.close();
      return;
    }
    const items = await suggestions(ctx);
    if (id !== this.request) return; // a newer keystroke won
    this.items = items;
    this.from = ctx.from;
    this.active = 0;
    if (items.length === 0) this.close();
    else this.renderList();
  }

  private renderList(): void {
    clear(this.list);
    this.items.forEach((s, i) => {
      const li = h('li', { class: `completion kind-${s.kind}${i === this.active ? ' active' : ''}`, role: 'option', 'data-insert': s.insert }, h('span', { class: 'c-label' }, s.label), h('span', { class: 'c-kind' }, s.kind));
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();
        this.accept(i);
      });
      this.list.appendChild(li);
    });
    this.list.hidden = false;
    this.list.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  private accept(i: number): void {
    const s = this.items[i];
    if (s === undefined) return;
    const ta = this.textarea;
    const cursor = ta.selectionStart;
    ta.value = ta.value.slice(0, this.from) + s.insert + ta.value.slice(cursor);
    const at = this.from + s.insert.length;
    ta.setSelectionRange(at, at);
    this.close();
    this.autosize();
    ta.focus();
  }

  private close(): void {
    this.list.hidden = true;
    this.items = [];
  }
}
