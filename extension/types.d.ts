// Types for the extension's JavaScript, checked by `tsc -p extension/tsconfig.json` (`make typecheck`).
// Nothing here is loaded by the browser: the files that say `// @ts-check` are checked against it.

/** One turn as a site adapter lists it (core.js snapshots these). */
interface AdapterTurn {
  el: Element;
  /** "user" or "assistant". */
  role: string;
  /** The provider's own message id, when the page shows one. */
  messageId: string | null;
  /** The turn's absolute position in the thread, when the page says it. */
  index: number | null;
  streaming: boolean;
  model: string | null;
  /** Which regenerated/edited variant is on screen, where the site shows it. */
  branch?: number | null;
}

/** What a turn contains: sanitized markup for the host's normalizer, and the browser's innerText. */
interface TurnContent {
  html: string;
  text: string;
}

/** Everything VIVIM knows about one site's page; one object per file in content/sites/. */
interface SiteAdapter {
  /** A provider key from host/vivim/providers.py. */
  provider: string;
  /** The site's selectors, listed most specific first (kept for the fixture tests). */
  selectors: Record<string, unknown>;
  matches(url: string): boolean;
  conversationId(url: string): string | null;
  title(doc: Document): string | null;
  container(doc: Document): Element | null;
  isStreaming(doc: Document): boolean;
  turns(doc: Document): AdapterTurn[];
  content(turn: AdapterTurn): TurnContent;
  findEditor(doc: Document): Element | null;
  insertText(editor: Element, text: string): boolean | void;
  sendButton(doc: Document): Element | null;
  [extra: string]: unknown;
}

/** The host's error object (docs/protocol.md, "Error codes"). */
interface HostError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A capture.upsert payload as the content script builds it (host/vivim/protocol.py CaptureUpsert). */
interface CapturePayload {
  conversation: { provider: string; external_id: string; title?: string | null; url?: string | null;
    model?: string | null };
  turns: Array<Record<string, unknown>>;
  source?: "capture";
}

/** A conversation response the page itself loaded, as the MAIN-world observer forwards it
 * (content/net/bridge.js); the worker splits it into capture.network parts (CaptureNetwork). */
interface NetworkPayload {
  provider: string;
  external_id: string;
  url: string;
  body: string;
  encoding: "json" | "gzip-base64";
  title?: string | null;
}

/** Messages content scripts and the popup send to the service worker (`chrome.runtime.sendMessage`). */
type WorkerMessage =
  | { kind: "capture"; capture: CapturePayload }
  | { kind: "health"; payload: { provider: string; url: string; ok: boolean; problem: string | null;
      warning?: string } }
  | { kind: "network"; payload: NetworkPayload }
  | { kind: "request"; type: string; payload?: Record<string, unknown> }
  | { kind: "status" }
  | { kind: "flush" }
  | { kind: "sites" };

/** The service worker's replies, one shape per message kind. */
type CaptureReply = { queued: true } | { queued: false; ok: boolean; result?: unknown; error?: HostError };
type RequestReply = { ok: true; result: unknown } | { ok: false; error: HostError };
interface StatusReply {
  connected: boolean;
  host_version: string | null;
  protocol: number | null;
  error: string | null;
  queued: number;
  health: Record<string, unknown>;
  /** Per provider: when the host last stored something captured there (ms). */
  activity: Record<string, { last_capture_at: number }>;
}

/** One site's state (the "sites" message): its origins granted, not turned off, its scripts registered. */
interface SiteState {
  optional: boolean;
  granted: boolean;
  enabled: boolean;
  registered: boolean;
}
type SitesReply = { ok: true; sites: Record<string, SiteState> };

/** Globals the content scripts share (each file is a classic script in the same isolated world). */
declare var VIVIM_ADAPTERS: Record<string, SiteAdapter> | undefined;
declare var VIVIM_DOM: any;
declare var VIVIM: any;
