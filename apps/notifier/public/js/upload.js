// The upload form: choose the id, follow it on the socket first, then POST the file with
// XMLHttpRequest (fetch cannot report upload progress) so bytes sent show while the layers fill.
import { apiErrorText, formatBytes } from './progress.js';
import { apiToken, askForToken } from './token.js';

const newId = () =>
  crypto.randomUUID?.() ??
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
  );

/**
 * @param {{ uploadUrl: string }} config
 * @param {{ started(id, file): Promise<void>, sent(id, bytes, total): void, rejected(id): void }} hooks
 */
export function setupUploadForm(config, hooks) {
  const form = document.getElementById('upload-form');
  const input = document.getElementById('upload-file');
  const button = document.getElementById('upload-button');
  const box = document.getElementById('upload-progress');
  const bar = box.querySelector('.bar');
  const fill = box.querySelector('.bar-fill');
  const status = document.getElementById('upload-status');
  const error = document.getElementById('upload-error');

  const show = (pct, text) => {
    box.hidden = false;
    fill.style.width = `${pct}%`;
    bar.setAttribute('aria-valuenow', String(pct));
    status.textContent = text;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = input.files?.[0];
    if (!file) return;
    error.hidden = true;
    button.disabled = true;
    const id = newId();
    await hooks.started(id, file);
    show(0, `Sending ${file.name}…`);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', config.uploadUrl);
    // The gateway recognises gzip bytes in a text/csv body by their magic number.
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('X-Ingestion-Id', id);
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name));
    if (apiToken()) xhr.setRequestHeader('Authorization', `Bearer ${apiToken()}`);
    xhr.upload.onprogress = (ev) => {
      const total = ev.lengthComputable ? ev.total : file.size;
      show(
        Math.floor((ev.loaded * 100) / Math.max(total, 1)),
        `${formatBytes(ev.loaded)} of ${formatBytes(total)} sent`,
      );
      hooks.sent(id, ev.loaded, total);
    };
    xhr.onload = () => {
      button.disabled = false;
      if (xhr.status === 202) {
        show(100, `${file.name}: all ${formatBytes(file.size)} in Kafka — processing continues below`);
        form.reset();
        return;
      }
      let body;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      const message = apiErrorText(xhr.status, body);
      box.hidden = true;
      error.textContent = `Upload rejected — ${message}`;
      error.hidden = false;
      hooks.rejected(id);
      if (xhr.status === 401) {
        askForToken(
          apiToken()
            ? 'The upload-gateway refused this token: enter the right one.'
            : 'The upload-gateway requires an API token.',
        );
      }
    };
    xhr.onerror = () => {
      button.disabled = false;
      box.hidden = true;
      error.textContent = `Cannot reach the upload-gateway at ${config.uploadUrl}`;
      error.hidden = false;
      hooks.rejected(id);
    };
    xhr.send(file);
  });
}
