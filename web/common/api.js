// Calling the hub: JSON in and out, and one error shape for every page.
// An ApiError carries the HTTP status (0: no connection), the server's reason and how long to wait before retrying.

export class ApiError extends Error {
  constructor(status, message, { detail = null, errors = null, retryAfter = 0 } = {}) {
    super(message);
    this.status = status;
    this.detail = detail;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

// The service (or the network) is briefly away: worth sending the same request again.
export function isTransient(err) {
  return [0, 429, 502, 503, 504].includes(err.status);  // 429: too many requests, sent again after Retry-After
}

// token(): the bearer token to send, if any; onUnauthorized(): what to do on a 401 (sign in again).
export function createApi({ base = "", token = () => null, onUnauthorized = null } = {}) {
  return async function api(path, { method = "GET", body, form, raw = false } = {}) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let resp;
    try {
      resp = await fetch(`${base}${path}`, { method, headers, credentials: "same-origin", body: form || (body !== undefined ? JSON.stringify(body) : undefined) });
    } catch {
      throw new ApiError(0, "offline");
    }
    if (resp.status === 401 && onUnauthorized) onUnauthorized(path);
    if (!resp.ok) {
      let detail = null, errors = null, message = `HTTP ${resp.status}`;
      try {
        const j = await resp.json();
        detail = j.detail;
        errors = j.errors || (detail && detail.errors) || null;
        if (typeof detail === "string") message = detail;
        else if (detail && typeof detail.message === "string") message = detail.message;
      } catch { /* not JSON */ }
      throw new ApiError(resp.status, message, { detail, errors, retryAfter: Number(resp.headers.get("Retry-After")) || 0 });
    }
    if (raw) return resp;
    return resp.status === 204 ? null : resp.json();
  };
}
