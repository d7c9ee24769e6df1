// Calling the hub: JSON in and out, and one error shape for every page.
import { parseShown } from "./text.js";
// An ApiError carries the HTTP status (0: no connection), the server's reason, its kind (code: "at_capacity", ...,
// for a page to say why in its own language) and how long to wait before retrying.

export class ApiError extends Error {
  constructor(status, message, { detail = null, errors = null, retryAfter = 0, code = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

// The service (or the network) is briefly away: worth sending the same request again.
export function isTransient(err) {
  return [0, 429, 502, 503, 504].includes(err.status);  // 429: too many requests, sent again after Retry-After
}

// What the staff pages say when the connection or the service failed, rather than the request: chosen by the
// status code, never the hub's own words (they are English, and "offline" is all there is without an answer).
const TROUBLE = {
  en: {
    unreachable: "Can't reach the service. Please try again once the connection is back.",
    unavailable: "The service is briefly unavailable. Please try again in a few seconds.",
    failed: (status) => `The service ran into a problem (${status}). Please try again.`,
  },
  zh: {
    unreachable: "无法连接到服务，请在网络恢复后重试。",
    unavailable: "服务暂时不可用，请几秒后重试。",
    failed: (status) => `服务出错（${status}），请重试。`,
  },
};

// The message for a failed request in the interface language ("en" or "zh"), or null: the request itself was
// refused (4xx), and the hub's detail says why.
export function troubleText(err, lang) {
  const text = TROUBLE[lang] || TROUBLE.en;
  if (err.status === 0) return text.unreachable;
  if ([502, 503, 504].includes(err.status)) return text.unavailable;
  if (err.status >= 500) return text.failed(err.status);
  return null;
}

// token(): the bearer token to send, if any; onUnauthorized(): what to do on a 401 (sign in again);
// language(): the interface language, for pages whose errors say so in it (troubleText), not in the hub's words.
export function createApi({ base = "", token = () => null, onUnauthorized = null, language = null } = {}) {
  const fail = (err) => {
    const said = language && troubleText(err, language());
    if (said) err.message = said;
    return err;
  };
  // onProgress(fraction): a file being sent says how much of it has gone (fetch cannot tell; XMLHttpRequest can).
  return async function api(path, { method = "GET", body, form, raw = false, onProgress = null } = {}) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let resp;
    try {
      const payload = form || (body !== undefined ? JSON.stringify(body) : undefined);
      resp = form && onProgress ? await sendWithProgress(`${base}${path}`, method, headers, payload, onProgress)
        : await fetch(`${base}${path}`, { method, headers, credentials: "same-origin", body: payload });
    } catch {
      throw fail(new ApiError(0, "offline"));
    }
    if (resp.status === 401 && onUnauthorized) onUnauthorized(path);
    if (!resp.ok) {
      let detail = null, errors = null, code = null, message = `HTTP ${resp.status}`;
      try {
        const j = parseShown(await resp.text());
        detail = j.detail;
        code = typeof j.code === "string" ? j.code : null;
        errors = j.errors || (detail && detail.errors) || null;
        if (typeof detail === "string") message = detail;
        else if (detail && typeof detail.message === "string") message = detail.message;
      } catch { /* not JSON */ }
      throw fail(new ApiError(resp.status, message, { detail, errors, code, retryAfter: Number(resp.headers.get("Retry-After")) || 0 }));
    }
    if (raw) return resp;
    // Every string of the answer without direction controls, whatever was stored (text.js).
    return resp.status === 204 ? null : parseShown(await resp.text());
  };
}

// An upload through XMLHttpRequest, for its progress events; answered as a fetch Response, so the rest is the same.
function sendWithProgress(url, method, headers, payload, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.responseType = "blob";
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable && ev.total) onProgress(ev.loaded / ev.total); };
    xhr.onload = () => {
      const answered = new Headers();
      for (const line of xhr.getAllResponseHeaders().split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon > 0) answered.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      const empty = [101, 204, 205, 304].includes(xhr.status);
      resolve(new Response(empty ? null : xhr.response, { status: xhr.status, headers: answered }));
    };
    xhr.onerror = xhr.onabort = xhr.ontimeout = () => reject(new TypeError("network"));
    xhr.send(payload);
  });
}
