// The admin API, with the key from this tab's session storage. The key goes only into the
// Authorization header: never into a URL, a log or local storage.

const KEY = "parley.adminKey";

export const adminKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};
/** What to do when a request made with the stored key is refused (the key changed, say). */
export const whenUnauthorized = (handler) => (onUnauthorized = handler);

/** Call the API; returns the parsed JSON (null for 204), or the Response when `raw`. */
export async function api(method, path, body, { key, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${key ?? adminKey.get() ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check that it is running, then try again.");
  }
  if (!response.ok) {
    let code = "error";
    let message = `The server answered ${response.status} ${response.statusText}.`;
    try {
      const error = (await response.json()).error;
      if (error && typeof error.message == "string") ({ code, message } = error);
    } catch {
      // Not our JSON error shape (a proxy's page, say): keep the status line.
    }
    const error = new ApiError(response.status, code, message);
    if (response.status === 401 && key === undefined) onUnauthorized(error);
    throw error;
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});
export const patch = (path, body) => api("PATCH", path, body);
export const put = (path, body) => api("PUT", path, body);
export const del = (path) => api("DELETE", path);

/** "/v1/leads" + { q: "jane", agentId: "" } -> "/v1/leads?q=jane" */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value != null && value !== "") query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** One path segment, escaped. */
export const seg = (value) => encodeURIComponent(value);
