// The rejected rows of one ingestion (query-api `GET /api/v1/ingestions/:id/rejections`): line,
// reason and the raw values as uploaded, a page at a time. The API pages forward with a cursor;
// the cursors already seen take the reader back.
import { apiErrorText, fmt, uploadName } from './progress.js';

const PAGE_ROWS = 20;
const COLUMNS = ['region', 'originCoord', 'destinationCoord', 'datetime', 'datasource'];

const cell = (tag, text, attrs = {}) => Object.assign(document.createElement(tag), { textContent: text ?? '' }, attrs);

export class RejectionsView {
  constructor(queryApiUrl) {
    this.api = queryApiUrl;
    this.section = document.getElementById('rejections');
    this.title = document.getElementById('rejections-of');
    this.body = this.section.querySelector('tbody');
    this.error = document.getElementById('rejections-error');
    this.status = document.getElementById('rejections-page');
    this.prev = document.getElementById('rejections-prev');
    this.next = document.getElementById('rejections-next');
    this.prev.addEventListener('click', () => void this.load(this.page - 1));
    this.next.addEventListener('click', () => void this.load(this.page + 1));
    document.getElementById('rejections-close').addEventListener('click', () => {
      this.section.hidden = true;
      this.id = null;
    });
  }

  /** Shows the first page of rejected rows of `p` (an ingestion as progress.js models it). */
  async open(p) {
    this.id = p.ingestionId;
    this.cursors = [null];
    this.title.textContent = `${uploadName(p)} · ${p.ingestionId} · ${fmt(p.rejectedRows)} rejected`;
    this.section.hidden = false;
    this.section.scrollIntoView({ block: 'nearest' });
    await this.load(0);
  }

  async load(page) {
    const id = this.id;
    const cursor = this.cursors[page];
    if (!id || cursor === undefined) return;
    this.prev.disabled = this.next.disabled = true;
    const url = new URL(`/api/v1/ingestions/${id}/rejections`, this.api);
    url.searchParams.set('limit', String(PAGE_ROWS));
    if (cursor) url.searchParams.set('cursor', cursor);
    try {
      const res = await fetch(url);
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(apiErrorText(res.status, body));
      // Another ingestion was opened meanwhile: this answer is not wanted any more.
      if (id !== this.id) return;
      this.page = page;
      this.cursors[page + 1] = body.nextCursor ?? undefined;
      this.render(body.items);
      this.error.hidden = true;
    } catch (e) {
      this.error.textContent = `Cannot load the rejected rows (${e.message})`;
      this.error.hidden = false;
    }
    this.prev.disabled = !(this.page > 0);
    this.next.disabled = this.cursors[this.page + 1] === undefined;
  }

  render(items) {
    const first = items[0]?.line;
    const last = items.at(-1)?.line;
    this.status.textContent = items.length
      ? `page ${this.page + 1} · lines ${fmt(first)}–${fmt(last)}`
      : 'no rejected rows';
    this.body.replaceChildren(
      ...items.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.line = String(r.line);
        tr.append(cell('td', fmt(r.line), { className: 'num' }));
        tr.append(cell('td', r.reasonText, { title: r.reason, className: 'reason' }));
        // A record that could not be split into columns is shown whole.
        if (r.rawRecord != null) tr.append(cell('td', r.rawRecord, { colSpan: COLUMNS.length, className: 'raw' }));
        else for (const c of COLUMNS) tr.append(cell('td', r.values?.[c], { className: 'raw' }));
        return tr;
      }),
    );
  }
}
