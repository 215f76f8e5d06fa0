// Talking to the VIVIM host. The token travels in an HttpOnly cookie: this code never sees it.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

async function request(method, path, { params, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(response.status, err.code || "http_" + response.status, err.message || response.statusText, err.details);
  }
  return data;
}

export const api = {
  conversations: (params) => request("GET", "/api/conversations", { params }),
  conversation: (id) => request("GET", `/api/conversations/${encodeURIComponent(id)}`),
  // {title?, pinned?, add_tags?, remove_tags?}: answers the conversation; edits sync to paired devices.
  editConversation: (id, body) => request("PATCH", `/api/conversations/${encodeURIComponent(id)}`, { body }),
  deleteConversation: (id) => request("DELETE", `/api/conversations/${encodeURIComponent(id)}`),
  search: (params) => request("GET", "/api/search", { params }),
  stats: (params) => request("GET", "/api/stats", { params }),
  devices: () => request("GET", "/api/devices"),
  renameDevice: (peerId, name) => request("PATCH", `/api/devices/${encodeURIComponent(peerId)}`, { body: { name } }),
  status: () => request("GET", "/api/status"),
  settings: () => request("GET", "/api/settings"),
  saveSettings: (values) => request("PATCH", "/api/settings", { body: { values } }),
};

// Upload with progress: fetch() cannot report upload progress, XMLHttpRequest can.
export function uploadImport(file, provider, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    if (provider) form.append("provider", provider);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/import");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.upload.onload = () => onProgress(1);
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload was interrupted."));
    xhr.onload = () => {
      const data = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        const err = (data && data.error) || {};
        reject(new ApiError(xhr.status, err.code || "http_" + xhr.status, err.message || xhr.statusText));
      }
    };
    xhr.send(form);
  });
}

// Live events; reconnects with backoff. Handlers get parsed event objects.
export function connectEvents(onEvent, onState) {
  let delay = 1000;
  const open = () => {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/events`);
    ws.onopen = () => { delay = 1000; onState(true); };
    ws.onmessage = (m) => { try { onEvent(JSON.parse(m.data)); } catch { /* not ours */ } };
    ws.onclose = () => { onState(false); setTimeout(open, delay); delay = Math.min(delay * 2, 30000); };
  };
  open();
}
