// Dashboard entry: the ingestion list (query-api snapshot, then live over socket.io), the upload
// form, and the area panel. No build step: plain ES modules served by the notifier.
import { AreaPanel } from './area.js';
import { IngestionsView } from './ingestions-view.js';
import { Live } from './live.js';
import { apiErrorText, applyEvent, blank, fmt, fromSnapshot, SETTLED } from './progress.js';
import { RejectionsView } from './rejections.js';
import { apiToken, askForToken } from './token.js';
import { setupUploadForm } from './upload.js';

const config = await fetch('/config.json').then((r) => r.json());
const ingestions = new Map();
const view = new IngestionsView(document.getElementById('ingestions'), document.getElementById('ingestions-empty'));
const notice = document.getElementById('ingestions-notice');
const connection = document.getElementById('connection');
const area = new AreaPanel(config.queryApiUrl);
const rejections = new RejectionsView(config.queryApiUrl);

let renderQueued = false;
const render = () => {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    view.render(ingestions);
  });
};

const live = new Live(
  (event) => {
    const known = ingestions.get(event.ingestionId);
    const before = known ?? blank(event.ingestionId);
    const after = applyEvent(before, event);
    if (after === before) return;
    ingestions.set(event.ingestionId, after);
    // Seen first on the all-ingestions feed: follow it on its own from the start, so a dropped connection can resume it exactly.
    if (!known && !SETTLED.has(after.state) && !live.isFollowing(event.ingestionId))
      void live.follow(event.ingestionId, 0);
    if (SETTLED.has(after.state)) {
      live.unfollow(event.ingestionId);
      // Trips were added or taken out: the area panel's answers change.
      if (after.state !== before.state && after.state !== 'failed') void area.refresh();
    }
    if (after.state === 'retracted' && before.state !== 'retracted') {
      ingestions.set(event.ingestionId, {
        ...after,
        note: { kind: 'ok', text: `Retracted: its ${fmt(event.data?.trips)} trips no longer count in any answer.` },
      });
    }
    render();
  },
  (status, text) => {
    connection.className = `pill pill-${status}`;
    connection.textContent = text;
  },
  () => void loadList(),
  () => needToken(),
);
/** Asks for the token: the first time, or again when the one given was refused. */
function needToken() {
  askForToken(
    apiToken()
      ? 'The live feed of all ingestions refused this token: enter the right one.'
      : 'This deployment requires an API token for uploads and the live feed of all ingestions.',
  );
}
if (config.tokenRequired && !apiToken()) needToken();

/** The recent ingestions from the query-api; unfinished ones are then followed live from their first event. */
async function loadList() {
  try {
    const res = await fetch(new URL('/api/v1/ingestions?limit=20', config.queryApiUrl));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const page = await res.json();
    for (const item of page.items) {
      const p = fromSnapshot(item, ingestions.get(item.ingestionId));
      ingestions.set(item.ingestionId, p);
      if (!SETTLED.has(p.state)) void live.follow(item.ingestionId, p.lastSeq);
    }
    notice.hidden = true;
  } catch (e) {
    notice.textContent = `Cannot list ingestions from the query-api at ${config.queryApiUrl} (${e.message}); showing live ones only.`;
    notice.hidden = false;
  }
  render();
}

setupUploadForm(config, {
  async started(id, file) {
    ingestions.set(id, {
      ...blank(id),
      fileName: file.name,
      acceptedAt: new Date().toISOString(),
      sentBytes: 0,
      sizeBytes: file.size,
    });
    render();
    // Subscribed before the first byte is sent: every event of this upload is seen live.
    await live.follow(id, 0);
  },
  sent(id, bytes, total) {
    const p = ingestions.get(id);
    if (!p) return;
    ingestions.set(id, { ...p, sentBytes: bytes, sizeBytes: total });
    render();
  },
  rejected(id) {
    live.unfollow(id);
    ingestions.delete(id);
    document.querySelector(`[data-ingestion-id="${id}"]`)?.remove();
    view.nodes.delete(id);
    view.rendered.delete(id);
    render();
  },
});

/** A message under an ingestion's card (the result of an action on it). */
function note(id, kind, text) {
  const p = ingestions.get(id);
  if (!p) return;
  ingestions.set(id, { ...p, note: { kind, text } });
  render();
}

/** `DELETE` on the upload-gateway, once confirmed; the `ingestion.retracted` event then says it is done. */
async function retract(p) {
  const name = p.fileName ?? p.ingestionId;
  const question = `Retract ${name}? Its ${fmt(p.validRows)} trips will no longer count in any answer; the raw upload and its rejected rows stay.`;
  if (!confirm(question)) return;
  note(p.ingestionId, 'wait', 'Retracting…');
  let res;
  let body;
  try {
    res = await fetch(`${config.uploadUrl}/${p.ingestionId}`, {
      method: 'DELETE',
      headers: apiToken() ? { Authorization: `Bearer ${apiToken()}` } : {},
    });
    body = await res.json().catch(() => ({}));
  } catch {
    note(p.ingestionId, 'bad', `Cannot reach the upload-gateway at ${config.uploadUrl}`);
    return;
  }
  if (!res.ok) {
    note(p.ingestionId, 'bad', `Retraction refused — ${apiErrorText(res.status, body)}`);
    if (res.status === 401) {
      askForToken(
        apiToken()
          ? 'The upload-gateway refused this token: enter the right one.'
          : 'The upload-gateway requires an API token.',
      );
    }
    return;
  }
  const now = ingestions.get(p.ingestionId);
  // The event may have come first (the all-ingestions feed is fast): never step back from `retracted`.
  if (now.state === 'retracted') return;
  ingestions.set(p.ingestionId, { ...now, state: body.state });
  if (body.state === 'retracted') {
    note(p.ingestionId, 'ok', 'Retracted: its trips no longer count in any answer.');
    void area.refresh();
    return;
  }
  note(
    p.ingestionId,
    'wait',
    'Retraction accepted: its trips leave the answers once the transformer has taken them out…',
  );
  // Followed from what this page has seen: the notifier replays `ingestion.retracted` if it came already.
  void live.follow(p.ingestionId, now.lastSeq);
}

document.getElementById('ingestions').addEventListener('click', (e) => {
  const button = e.target.closest('button[data-action]');
  const p = ingestions.get(button?.closest('[data-ingestion-id]')?.dataset.ingestionId);
  if (!p) return;
  if (button.dataset.action === 'rejections') void rejections.open(p);
  if (button.dataset.action === 'retract') void retract(p);
});

await loadList();
await area.refresh();
