/* chatflow visitor chat: the protocol logic, with no DOM and no I/O of its own.
 * chat.js hands it a transport (the websocket), the session API, storage and timers; the tests hand
 * it fakes. It keeps the session, dedupes frames by seq, holds unacknowledged frames and reconnects.
 * Contract: docs/widget.md and "Visitor channel (web)" in the design. */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.ChatflowCore = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const MAX_TEXT = 2000;
  const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
  const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
  const LOG_LIMIT = 300;
  const TYPING_EVERY_MS = 3000;
  const STABLE_AFTER_MS = 5000;
  const MAX_EXPIRED_IN_ROW = 3;
  const EXPIRED_CLOSE_CODES = [4401, 4404];
  const EXPIRED_ERROR_CODES = ['session_not_found', 'unauthorized'];
  // This page may not open the chat (the site's allowed origins): retrying cannot help.
  const FORBIDDEN_CLOSE_CODES = [4403];
  const FORBIDDEN_ERROR_CODES = ['origin_not_allowed'];

  /** Reconnect delay in ms: exponential from 1 s, capped at 30 s, with "equal jitter". */
  function backoffDelay(attempt, random) {
    const ceiling = Math.min(30000, 1000 * 2 ** Math.min(Math.max(attempt, 0), 5));
    return Math.max(1000, Math.round(ceiling / 2 + (random() * ceiling) / 2));
  }

  /** A random UUID; randomUUID() exists only in secure contexts, getRandomValues everywhere. */
  function randomId(cryptoObj) {
    if (cryptoObj && typeof cryptoObj.randomUUID === 'function') return cryptoObj.randomUUID();
    const bytes = new Uint8Array(16);
    cryptoObj.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join(
      '-',
    );
  }

  /** Number of characters as the visitor sees them (code points, not UTF-16 units). */
  function textLength(text) {
    return Array.from(text).length;
  }

  /** Why an image file may not be sent ('type' or 'size'), or null when it may. */
  function imageProblem(file) {
    if (!IMAGE_TYPES.includes(file.type)) return 'type';
    if (file.size > MAX_IMAGE_BYTES) return 'size';
    return null;
  }

  // Stops at whitespace, quotes, angle brackets and CJK / full-width punctuation.
  const URL_IN_TEXT = /https?:\/\/[^\s<>"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+/gi;

  /** Splits text into [{text}] and [{text, href}] parts; only http(s) URLs become links. */
  function linkify(text) {
    const parts = [];
    let last = 0;
    for (const match of String(text).matchAll(URL_IN_TEXT)) {
      const raw = match[0].replace(/[.,;:!?)\]}]+$/, '');
      let url;
      try {
        url = new URL(raw);
      } catch (_) {
        continue;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      if (match.index > last) parts.push({ text: text.slice(last, match.index) });
      parts.push({ text: raw, href: url.href });
      last = match.index + raw.length;
    }
    if (last < text.length) parts.push({ text: text.slice(last) });
    return parts;
  }

  /** The src for a server-sent image: only a same-origin path under <base>api/v1/, else null. */
  function safeImageUrl(value, pageUrl, basePath) {
    if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) return null;
    if (value.includes('\\')) return null;
    let url;
    try {
      url = new URL(value, pageUrl);
    } catch (_) {
      return null;
    }
    if (url.origin !== new URL(pageUrl).origin) return null;
    if (!url.pathname.startsWith(`${basePath || '/'}api/v1/`)) return null;
    return url.pathname + url.search;
  }

  /** Storage that forgets on reload, for when localStorage is blocked (private modes, iframes). */
  const VISITOR_ID = /^[A-Za-z0-9_.:@-]{1,64}$/;
  const MAX_NAME = 64;

  /**
   * Who the host page says the visitor is (the widget's data-visitor-id / data-visitor-name,
   * the chat link's ?visitor= / ?name=): `{id, name}`, each null when absent or not valid
   * (an id the server would refuse; a name blank or over 64 characters is cut to 64).
   */
  function hostVisitor(id, name) {
    const cleanId = typeof id === 'string' && VISITOR_ID.test(id) ? id : null;
    const trimmed = typeof name === 'string' ? name.trim() : '';
    const cleanName = trimmed ? Array.from(trimmed).slice(0, MAX_NAME).join('') : null;
    return { id: cleanId, name: cleanName };
  }

  const MAX_PAGE_URL = 2048;
  const MAX_PAGE_TITLE = 200;

  /** An http(s) address without its fragment and credentials, or null (another scheme, not a
   * URL, longer than the server takes). */
  function webAddress(value) {
    if (typeof value !== 'string' || !value.trim()) return null;
    let url;
    try {
      url = new URL(value.trim());
    } catch (_) {
      return null;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    url.hash = '';
    url.username = '';
    url.password = '';
    return url.href.length <= MAX_PAGE_URL ? url.href : null;
  }

  /**
   * The page the chat is opened on, for a new session's `page`: `{url?, title?, referrer?}`
   * with only what the server takes (http(s) addresses of at most 2048 characters, a title
   * trimmed and cut to 200), or null when nothing is left. Never rendered: data for the record.
   */
  function pageInfo(raw) {
    const from = raw || {};
    const page = {};
    const url = webAddress(from.url);
    if (url) page.url = url;
    const title = typeof from.title === 'string' ? from.title.trim() : '';
    if (title) page.title = Array.from(title).slice(0, MAX_PAGE_TITLE).join('').trim();
    const referrer = webAddress(from.referrer);
    if (referrer) page.referrer = referrer;
    return Object.keys(page).length ? page : null;
  }

  const MAX_VARS = 32;
  const MAX_VAR_TEXT = 1000;
  const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

  /**
   * Values the host page gives the flow's variables (the widget's data-vars, the chat link's
   * ?vars=), for a new session's `data`: from a JSON object, at most 32 names of letters,
   * digits and _ with a text (cut to 1000 characters), a finite number or true/false; any
   * other entry is left out, so a host page's mistake never costs the visitor the chat. Null
   * when nothing is left or `raw` is not a JSON object. The server keeps only the variables
   * the flow declares.
   */
  function hostData(raw) {
    if (typeof raw !== 'string' || !raw.trim()) return null;
    let parsed;
    try {
      parsed = JSON.parse(raw);
    } catch (_) {
      return null;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const data = {};
    for (const [name, value] of Object.entries(parsed)) {
      if (Object.keys(data).length >= MAX_VARS) break;
      if (!VAR_NAME.test(name)) continue;
      if (typeof value === 'string') data[name] = Array.from(value).slice(0, MAX_VAR_TEXT).join('');
      else if (typeof value === 'number' && Number.isFinite(value)) data[name] = value;
      else if (typeof value === 'boolean') data[name] = value;
    }
    return Object.keys(data).length ? data : null;
  }

  function memoryStorage() {
    const items = new Map();
    return {
      getItem: (key) => (items.has(key) ? items.get(key) : null),
      setItem: (key, value) => void items.set(key, String(value)),
      removeItem: (key) => void items.delete(key),
    };
  }

  /** The per-site keys: chatflow.v1.<site>.{session,pending,log,visitor}. */
  function createStore(site, storage) {
    const prefix = `chatflow.v1.${site}.`;
    const read = (name, fallback) => {
      try {
        const raw = storage.getItem(prefix + name);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (_) {
        return fallback;
      }
    };
    // A full or blocked storage only costs the resume after a reload; the chat goes on.
    const write = (name, value) => {
      try {
        storage.setItem(prefix + name, JSON.stringify(value));
      } catch (_) {
        /* ignored */
      }
    };
    const remove = (name) => {
      try {
        storage.removeItem(prefix + name);
      } catch (_) {
        /* ignored */
      }
    };
    function clearConversation() {
      remove('session');
      remove('pending');
      remove('log');
    }
    return {
      prefix,
      session() {
        const s = read('session', null);
        const ok =
          s &&
          typeof s.session_id === 'string' &&
          typeof s.visitor_token === 'string' &&
          Number.isInteger(s.last_seq) &&
          s.last_seq >= 0;
        return ok ? s : null;
      },
      saveSession: (s) => write('session', s),
      pending() {
        const list = read('pending', []);
        return Array.isArray(list) ? list.filter((f) => f && typeof f === 'object' && f.id) : [];
      },
      savePending: (list) => write('pending', list),
      log() {
        const list = read('log', []);
        return Array.isArray(list) ? list.filter((f) => f && Number.isInteger(f.seq)) : [];
      },
      saveLog: (list) => write('log', list),
      visitorId(make) {
        const known = read('visitor', null);
        if (typeof known === 'string' && known) return known;
        const fresh = make();
        write('visitor', fresh);
        return fresh;
      },
      /** The host page's visitor id: another visitor than the stored one (a member logged
       * out, another logged in) does not continue the stored conversation. */
      adoptVisitor(id) {
        if (read('visitor', null) !== id) {
          clearConversation();
          write('visitor', id);
        }
        return id;
      },
      clearConversation,
    };
  }

  /**
   * Raised by api.createSession: fatal means retrying cannot help (unknown or disabled site,
   * refused visitor); detail is the server's own words for the visitor, when it has any.
   */
  class SessionError extends Error {
    constructor(message, fatal, reason, detail) {
      super(message);
      this.fatal = fatal;
      this.reason = reason;
      this.detail = detail;
    }
  }

  /**
   * The visitor's side of one conversation.
   *
   * deps: store (createStore), api.createSession(body) -> Promise<{session_id, visitor_token}>,
   * openSocket({token, after}, {open, frame, close(code)}) -> {send(frame) -> bool, close()}
   * (callbacks never run synchronously), timers {set(fn, ms), clear(handle)}, now() in ms,
   * random() in [0, 1), newId(), visitorId, profile {name?, data?}, page (pageInfo) or null,
   * emit(type, detail).
   *
   * Events: status {state: connecting|online|reconnecting|fatal, reason?, detail?}, session {session_id,
   * visitor_token}, frame {frame, replay, acked}, pending {frame, replay}, failed {frame, reason},
   * typing {from}, reset {reason: new|expired}.
   */
  function createClient(deps) {
    const { store, emit } = deps;
    let generation = 0;
    let session = null;
    let lastSeq = 0;
    let ended = false;
    let fatal = false;
    let pending = [];
    let log = [];
    let socket = null;
    let opened = false;
    let everOpened = false;
    let attempt = 0;
    let retryTimer = null;
    let stableTimer = null;
    let creating = false;
    let expiredInRow = 0;
    let lastTypingAt = -Infinity;

    const wantConnected = () => Boolean(session) && !ended && !fatal;

    function persistSession() {
      if (!session) return;
      store.saveSession({
        session_id: session.session_id,
        visitor_token: session.visitor_token,
        last_seq: lastSeq,
        ended,
      });
    }

    function clearRetry() {
      if (retryTimer !== null) deps.timers.clear(retryTimer);
      retryTimer = null;
    }

    function clearStable() {
      if (stableTimer !== null) deps.timers.clear(stableTimer);
      stableTimer = null;
    }

    function scheduleRetry(fn) {
      clearRetry();
      const delay = backoffDelay(attempt, deps.random);
      attempt += 1;
      retryTimer = deps.timers.set(() => {
        retryTimer = null;
        fn();
      }, delay);
      emit('status', { state: 'reconnecting', delay });
    }

    function dropSocket() {
      clearStable();
      if (socket) socket.close();
      socket = null;
      opened = false;
    }

    function start() {
      const saved = store.session();
      if (!saved) {
        createSession();
        return;
      }
      session = { session_id: saved.session_id, visitor_token: saved.visitor_token };
      ended = saved.ended === true;
      log = store.log();
      // The rendered transcript is the replay baseline: if the cached log was lost, replay all.
      lastSeq = log.length ? log[log.length - 1].seq : 0;
      for (const frame of log) emit('frame', { frame, replay: true, acked: null });
      if (ended && (!log.length || log[log.length - 1].type !== 'ended')) {
        // Ended sessions do not reconnect; without the cached end the page would be a dead end.
        emit('frame', { frame: { type: 'ended', reason: 'unknown' }, replay: true, acked: null });
      }
      pending = ended ? [] : store.pending();
      for (const frame of pending) emit('pending', { frame, replay: true });
      emit('session', { ...session });
      connect();
    }

    function createSession() {
      if (creating || fatal) return;
      creating = true;
      const mine = generation;
      emit('status', { state: 'connecting' });
      const body = { visitor_id: deps.visitorId };
      if (deps.profile && deps.profile.name) body.name = deps.profile.name;
      if (deps.profile && deps.profile.data) body.data = deps.profile.data;
      if (deps.page) body.page = deps.page;
      deps.api.createSession(body).then(
        (created) => {
          if (mine !== generation) return;
          creating = false;
          session = { session_id: created.session_id, visitor_token: created.visitor_token };
          lastSeq = 0;
          ended = false;
          log = [];
          store.saveLog(log);
          persistSession();
          emit('session', { ...session });
          connect();
        },
        (error) => {
          if (mine !== generation) return;
          creating = false;
          if (error && error.fatal) {
            giveUp(error.reason || 'unavailable', error.detail);
            return;
          }
          scheduleRetry(createSession);
        },
      );
    }

    function connect() {
      clearRetry();
      if (socket || !wantConnected()) return;
      emit('status', { state: everOpened ? 'reconnecting' : 'connecting' });
      const mine = deps.openSocket(
        { token: session.visitor_token, after: lastSeq },
        {
          open: () => socket === mine && onOpen(),
          frame: (frame) => socket === mine && onFrame(frame),
          close: (code) => socket === mine && onClose(code),
        },
      );
      socket = mine;
    }

    function onOpen() {
      opened = true;
      everOpened = true;
      clearStable();
      // Only a connection that stays up resets the backoff and the expiry count; one the server
      // drops at once (even after replaying frames) does not.
      stableTimer = deps.timers.set(() => {
        stableTimer = null;
        attempt = 0;
        expiredInRow = 0;
      }, STABLE_AFTER_MS);
      emit('status', { state: 'online' });
      for (const frame of pending) socket.send(frame);
    }

    function onFrame(frame) {
      if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string') return;
      if (frame.type === 'typing') {
        emit('typing', { from: frame.from });
        return;
      }
      if (frame.type === 'error' && EXPIRED_ERROR_CODES.includes(frame.code)) {
        expire();
        return;
      }
      if (frame.type === 'error' && FORBIDDEN_ERROR_CODES.includes(frame.code)) {
        dropSocket();
        giveUp('forbidden');
        return;
      }
      if (Number.isInteger(frame.seq)) {
        if (frame.seq <= lastSeq) return;
        lastSeq = frame.seq;
        log.push(frame);
        if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT);
        store.saveLog(log);
      }
      let acked = null;
      if (frame.id !== undefined && frame.id !== null) {
        const index = pending.findIndex((p) => p.id === String(frame.id));
        if (index >= 0) {
          acked = pending.splice(index, 1)[0];
          store.savePending(pending);
          if (frame.type === 'error') {
            emit('failed', { frame: acked, reason: frame });
            acked = null;
          }
        }
      }
      if (frame.type === 'ended') {
        ended = true;
        const dropped = pending;
        pending = [];
        store.savePending(pending);
        for (const p of dropped) emit('failed', { frame: p, reason: frame });
      }
      persistSession();
      emit('frame', { frame, replay: false, acked });
    }

    function onClose(code) {
      socket = null;
      opened = false;
      clearStable();
      if (EXPIRED_CLOSE_CODES.includes(code)) {
        expire();
        return;
      }
      if (FORBIDDEN_CLOSE_CODES.includes(code)) {
        giveUp('forbidden');
        return;
      }
      if (wantConnected()) scheduleRetry(connect);
    }

    function giveUp(reason, detail) {
      if (fatal) return;
      fatal = true;
      clearRetry();
      emit('status', { state: 'fatal', reason, detail });
    }

    // The server no longer knows the token: start over, keeping the visitor's unsent text.
    function expire() {
      dropSocket();
      if (ended) {
        const dropped = pending;
        pending = [];
        store.savePending(pending);
        for (const p of dropped) emit('failed', { frame: p, reason: { type: 'expired' } });
        return;
      }
      expiredInRow += 1;
      if (expiredInRow > MAX_EXPIRED_IN_ROW) {
        giveUp('unavailable');
        return;
      }
      const kept = pending.filter((p) => p.type === 'text');
      const dropped = pending.filter((p) => p.type !== 'text');
      store.clearConversation();
      pending = kept;
      store.savePending(pending);
      for (const p of dropped) emit('failed', { frame: p, reason: { type: 'expired' } });
      session = null;
      lastSeq = 0;
      log = [];
      generation += 1;
      emit('reset', { reason: 'expired' });
      if (expiredInRow === 1) createSession();
      else scheduleRetry(createSession);
    }

    /** Queues a client frame with a fresh id; it is resent after each reconnect until echoed. */
    function send(partial) {
      if (ended || fatal) return null;
      const frame = { ...partial, id: deps.newId() };
      pending.push(frame);
      store.savePending(pending);
      emit('pending', { frame, replay: false });
      if (socket && opened) socket.send(frame);
      return frame;
    }

    /** Tells the other side the visitor is typing, at most every 3 s and only when connected. */
    function typing() {
      const now = deps.now();
      if (!socket || !opened || ended || now - lastTypingAt < TYPING_EVERY_MS) return false;
      lastTypingAt = now;
      return socket.send({ type: 'typing' });
    }

    /** Reconnects now (network back, tab visible) instead of waiting for the backoff. */
    function nudge() {
      if (fatal) return;
      if (!session) {
        if (!creating) {
          clearRetry();
          createSession();
        }
        return;
      }
      if (!socket && wantConnected()) {
        clearRetry();
        connect();
      }
    }

    /** Forgets the stored conversation and starts a fresh one ("start a new conversation"). */
    function restart() {
      generation += 1;
      dropSocket();
      clearRetry();
      store.clearConversation();
      session = null;
      lastSeq = 0;
      ended = false;
      fatal = false;
      pending = [];
      log = [];
      creating = false;
      expiredInRow = 0;
      attempt = 0;
      emit('reset', { reason: 'new' });
      createSession();
    }

    function stop() {
      generation += 1;
      dropSocket();
      clearRetry();
    }

    return {
      start,
      send,
      typing,
      nudge,
      restart,
      stop,
      session: () => (session ? { ...session } : null),
      isEnded: () => ended,
      isOnline: () => opened,
      pendingFrames: () => pending.slice(),
      lastSeq: () => lastSeq,
    };
  }

  return {
    MAX_TEXT,
    MAX_IMAGE_BYTES,
    IMAGE_TYPES,
    LOG_LIMIT,
    TYPING_EVERY_MS,
    EXPIRED_CLOSE_CODES,
    EXPIRED_ERROR_CODES,
    FORBIDDEN_CLOSE_CODES,
    FORBIDDEN_ERROR_CODES,
    SessionError,
    backoffDelay,
    randomId,
    textLength,
    imageProblem,
    linkify,
    safeImageUrl,
    hostVisitor,
    hostData,
    pageInfo,
    memoryStorage,
    createStore,
    createClient,
  };
});
