// The host over HTTP with the API key. The key lives in this tab's sessionStorage and is sent
// as a header (HTTP) or as the `bearer, <key>` subprotocol (WebSocket): never in a URL.

const KEY_STORAGE = 'kokoro-api-key';

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

export function saveKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

function authHeaders() {
  const key = apiKey();
  return key === '' ? {} : { authorization: `Bearer ${key}` };
}

/** fetch() with the key; a 401 calls `onRefused` (the page asks for a key) and throws. */
export async function api(path, init = {}, onRefused = () => undefined) {
  const res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers ?? {}) } });
  if (res.status === 401) {
    onRefused();
    throw new Error('the host needs a valid API key');
  }
  return res;
}
