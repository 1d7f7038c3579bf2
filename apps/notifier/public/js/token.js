// The API token (API_TOKEN on the server), when the deployment requires one: asked for once, kept in
// this tab's sessionStorage (gone when the tab closes), sent as `Authorization: Bearer` with uploads
// and as `auth: { token }` in the socket.io handshake, which the all-ingestions feed requires.
const KEY = 'trips.apiToken';

/** The token this tab uses ('' when none was given). */
export const apiToken = () => sessionStorage.getItem(KEY) ?? '';

/** Shows the token form with the reason it is needed; a submitted token reloads the page with it. */
export function askForToken(reason) {
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  document.getElementById('token-reason').textContent = reason;
  form.hidden = false;
  input.value = apiToken();
  input.focus();
}

document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById('token-input').value.trim());
  location.reload();
});
