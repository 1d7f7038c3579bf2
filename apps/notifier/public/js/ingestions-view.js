// Renders the ingestion list: one card per ingestion with state, rows, and a bar per layer.
import { fmt, formatBytes, formatDuration, layerBars, percent, uploadName } from './progress.js';

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
};

function barLabel(bar) {
  if (bar.total == null) return bar.done ? `${fmt(bar.done)} rows` : '—';
  return `${fmt(bar.done)} / ${fmt(bar.total)}${bar.final ? '' : '+'}`;
}

function card(p) {
  const li = el('li', { class: 'ingestion', 'data-ingestion-id': p.ingestionId, 'data-state': p.state });
  const rows = p.totalRows == null ? (p.uploadRows ? `${fmt(p.uploadRows)}+ rows` : '') : `${fmt(p.totalRows)} rows`;
  li.append(
    el(
      'div',
      { class: 'ingestion-head' },
      el('span', { class: `state state-${p.state}`, text: p.state }),
      el('span', { class: 'ingestion-name', title: p.fileName ?? '', text: uploadName(p) }),
      el('code', { class: 'muted', title: p.ingestionId, text: p.ingestionId.slice(0, 8) }),
      el('span', { class: 'ingestion-rows', text: rows }),
    ),
  );
  const layers = el('div', { class: 'layers' });
  for (const bar of layerBars(p)) {
    const pct = percent(bar);
    const value =
      bar.layer === 'upload' && p.sentBytes != null && !bar.complete && p.sizeBytes
        ? `${formatBytes(p.sentBytes)} sent`
        : barLabel(bar);
    const track = el(
      'div',
      {
        class: 'bar',
        role: 'progressbar',
        'aria-label': `${bar.layer} rows`,
        'aria-valuemin': '0',
        'aria-valuemax': '100',
        'aria-valuenow': String(pct),
      },
      el('span', { class: 'bar-fill', style: `width:${pct}%` }),
    );
    layers.append(
      el('span', { class: 'name', text: bar.layer }),
      el('div', { class: `layer-${bar.layer}` }, track),
      el('span', { class: 'value', text: value }),
    );
  }
  li.append(layers);
  if (p.state === 'completed' || p.state === 'retracting' || p.state === 'retracted') {
    const summary = el('p', { class: 'summary' });
    const rate = p.durationMs ? ((p.totalRows ?? 0) * 1000) / p.durationMs : null;
    summary.append(
      el('strong', { text: `${fmt(p.totalRows)} rows` }),
      ` · ${fmt(p.validRows)} valid · ${fmt(p.rejectedRows)} rejected`,
      p.durationMs != null ? ` · ${formatDuration(p.durationMs)}` : '',
      rate != null ? ` · ${rate.toLocaleString('en-US', { maximumFractionDigits: rate < 10 ? 1 : 0 })} rows/s` : '',
    );
    li.append(summary);
    li.append(actions(p));
  }
  if (p.note) li.append(el('p', { class: `note note-${p.note.kind}`, role: 'status', text: p.note.text }));
  if (p.state === 'failed' && p.error) {
    li.append(el('p', { class: 'failure', text: `Failed in ${p.error.stage}: ${p.error.code} — ${p.error.message}` }));
  }
  return li;
}

/** Buttons of a finished ingestion; app.js handles their clicks (`data-action`). */
function actions(p) {
  const bar = el('div', { class: 'actions' });
  if (p.rejectedRows > 0) {
    bar.append(
      el('button', {
        type: 'button',
        'data-action': 'rejections',
        text: `Rejected rows (${fmt(p.rejectedRows)})`,
      }),
    );
  }
  if (p.state === 'completed') {
    bar.append(
      el('button', {
        type: 'button',
        class: 'danger',
        'data-action': 'retract',
        title: 'Take its trips out of every answer (the raw upload and its rejected rows stay)',
        text: 'Retract',
      }),
    );
  }
  return bar;
}

/** Newest first; re-renders only the cards whose ingestion changed. */
export class IngestionsView {
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
    this.nodes = new Map();
    this.rendered = new Map();
  }

  render(ingestions) {
    const ordered = [...ingestions.values()].sort((a, b) =>
      (b.acceptedAt ?? '\uffff').localeCompare(a.acceptedAt ?? '\uffff'),
    );
    this.empty.hidden = ordered.length > 0;
    let previous = null;
    for (const p of ordered) {
      let node = this.nodes.get(p.ingestionId);
      if (this.rendered.get(p.ingestionId) !== p) {
        const fresh = card(p);
        if (node) node.replaceWith(fresh);
        node = fresh;
        this.nodes.set(p.ingestionId, node);
        this.rendered.set(p.ingestionId, p);
      }
      const wanted = previous ? previous.nextSibling : this.list.firstChild;
      if (wanted !== node) this.list.insertBefore(node, wanted);
      previous = node;
    }
  }
}
