// Dashboard entry: the ingestion list (query-api snapshot, then live over socket.io), the upload
// form, and the area panel. No build step: plain ES modules served by the notifier.
import { AreaPanel } from './area.js';
import { IngestionsView } from './ingestions-view.js';
import { Live } from './live.js';
import { applyEvent, blank, fromSnapshot, TERMINAL } from './progress.js';
import { apiToken, askForToken } from './token.js';
import { setupUploadForm } from './upload.js';

const config = await fetch('/config.json').then((r) => r.json());
const ingestions = new Map();
const view = new IngestionsView(document.getElementById('ingestions'), document.getElementById('ingestions-empty'));
const notice = document.getElementById('ingestions-notice');
const connection = document.getElementById('connection');
const area = new AreaPanel(config.queryApiUrl);

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
    if (!known && !TERMINAL.has(after.state) && !live.isFollowing(event.ingestionId))
      void live.follow(event.ingestionId, 0);
    if (TERMINAL.has(after.state)) {
      live.unfollow(event.ingestionId);
      if (after.state === 'completed' && !TERMINAL.has(before.state)) void area.refresh();
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
      if (!TERMINAL.has(p.state)) void live.follow(item.ingestionId, p.lastSeq);
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

await loadList();
await area.refresh();
