/* chatflow visitor chat page: wires core.js (protocol) and view.js (rendering) to the browser:
 * the session API, the websocket transport, localStorage, the composer, image uploads and the
 * widget's iframe messages. Served at /chat/{site_key}; reads ?lang=, ?color=, ?embed=1, the
 * visitor (?visitor=, ?name=) and the page the chat is opened on (?page=, ?title=, ?ref=). */
(function () {
  'use strict';

  const core = window.ChatflowCore;
  const i18n = window.ChatflowI18n;
  const script = document.currentScript;
  // chat.js lives at <base>static/chat.js; the API and the websocket hang off the same <base>.
  const base = new URL('../', script && script.src ? script.src : window.location.href);
  const basePath = base.pathname;
  const params = new URLSearchParams(window.location.search);
  const embedded = params.get('embed') === '1' && window.parent !== window;
  const lang = i18n.pick([params.get('lang')].concat(navigator.languages || [navigator.language]));
  const t = (key, vars) => i18n.t(lang, key, vars);
  const coarsePointer = Boolean(window.matchMedia && window.matchMedia('(pointer: coarse)').matches);

  const $ = (id) => document.getElementById(id);
  const els = {
    end: $('cf-end'),
    close: $('cf-close'),
    confirm: $('cf-confirm'),
    confirmYes: $('cf-confirm-yes'),
    confirmNo: $('cf-confirm-no'),
    banner: $('cf-banner'),
    queue: $('cf-queue'),
    log: $('cf-log'),
    typing: $('cf-typing'),
    form: $('cf-composer'),
    input: $('cf-input'),
    counter: $('cf-counter'),
    image: $('cf-image'),
    file: $('cf-file'),
    send: $('cf-send'),
  };

  let client = null;
  let shown = !embedded; // inside the widget: whether its panel is open
  let unread = 0;
  let uploads = Promise.resolve();

  const view = window.ChatflowView.createView(els, {
    t,
    core,
    basePath,
    actions: {
      choose: (label) => Boolean(client && client.send({ type: 'choice', value: label })),
      rate: (score) => Boolean(client && client.send({ type: 'rate', score })),
      restart: () => client && client.restart(),
      reload: () => window.location.reload(),
      incoming: countUnread,
      focusInput,
      ended(replay) {
        const hadFocus = els.form.contains(document.activeElement);
        els.end.hidden = true;
        els.confirm.hidden = true;
        setComposer(false, t('endedPlaceholder'));
        return !replay && hadFocus;
      },
    },
  });

  // ---- page setup --------------------------------------------------------------------------

  function applyStrings() {
    document.documentElement.lang = lang;
    document.title = t('title');
    for (const node of document.querySelectorAll('[data-i18n]')) {
      node.textContent = t(node.getAttribute('data-i18n'));
    }
    for (const node of document.querySelectorAll('[data-i18n-label]')) {
      node.setAttribute('aria-label', t(node.getAttribute('data-i18n-label')));
    }
    for (const node of document.querySelectorAll('[data-i18n-title]')) {
      node.title = t(node.getAttribute('data-i18n-title'));
    }
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
      node.placeholder = t(node.getAttribute('data-i18n-placeholder'));
    }
  }

  /** data-color from the embed code: any valid CSS color, with readable text on it. */
  function applyAccent(color) {
    if (!color || !window.CSS || !CSS.supports('color', color)) return;
    const root = document.documentElement;
    root.style.setProperty('--cf-accent', color);
    const probe = document.createElement('span');
    probe.style.setProperty('color', color);
    document.body.appendChild(probe);
    const rgb = (getComputedStyle(probe).color.match(/[\d.]+/g) || []).map(Number);
    probe.remove();
    if (rgb.length >= 3) {
      const luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
      root.style.setProperty('--cf-accent-text', luminance > 0.6 ? '#111827' : '#ffffff');
    }
  }

  function siteFromPath(pathname) {
    const match = /\/chat\/([^/]+)\/?$/.exec(pathname);
    if (!match) return null;
    try {
      return decodeURIComponent(match[1]);
    } catch (_) {
      return null;
    }
  }

  // ---- unread count (widget badge, or the tab title on the chat link) ----------------------

  function isVisible() {
    return shown && document.visibilityState === 'visible';
  }

  function countUnread() {
    if (isVisible()) return;
    unread += 1;
    reportUnread();
  }

  function reportUnread() {
    if (embedded) window.parent.postMessage({ chatflow: 'unread', count: unread }, '*');
    else document.title = unread ? `(${unread}) ${t('title')}` : t('title');
  }

  function seen() {
    if (!isVisible() || !unread) return;
    unread = 0;
    reportUnread();
  }

  // ---- composer ----------------------------------------------------------------------------

  function setComposer(enabled, placeholder) {
    els.input.disabled = !enabled;
    els.send.disabled = !enabled;
    els.image.disabled = !enabled || !(client && client.session());
    els.input.placeholder = placeholder || t('placeholder');
  }

  function focusInput() {
    // On phones focusing opens the keyboard over the conversation; let the visitor tap instead.
    if (!els.input.disabled && !coarsePointer) els.input.focus();
  }

  function autosize() {
    const input = els.input;
    input.style.setProperty('height', 'auto');
    const borders = input.offsetHeight - input.clientHeight; // border-box: scrollHeight lacks them
    const wanted = input.scrollHeight + borders;
    input.style.setProperty('height', `${Math.min(wanted, 140)}px`);
    input.style.setProperty('overflow-y', wanted > 140 ? 'auto' : 'hidden');
  }

  function updateCounter() {
    const length = core.textLength(els.input.value);
    els.counter.hidden = length < core.MAX_TEXT - 200;
    els.counter.textContent = `${length}/${core.MAX_TEXT}`;
  }

  function submit() {
    const text = els.input.value.trim();
    if (!text || !client) return;
    if (core.textLength(text) > core.MAX_TEXT) {
      view.notify(t('tooLong', { max: core.MAX_TEXT }));
      return;
    }
    if (!client.send({ type: 'text', text })) return;
    els.input.value = '';
    autosize();
    updateCounter();
    els.input.focus();
  }

  async function postImage(file, id) {
    const session = client && client.session();
    if (!session) throw new Error('no session');
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('id', id);
    const url = new URL(`api/v1/sessions/${encodeURIComponent(session.session_id)}/images`, base);
    const response = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.visitor_token}` },
      body: form,
    });
    if (!response.ok) throw Object.assign(new Error('upload failed'), { status: response.status });
  }

  function uploadImage(file, row) {
    const id = core.randomId(window.crypto);
    const own = view.uploadStarted(id, file.name, row);
    return postImage(file, id).then(
      () => view.uploadDone(id, own),
      (error) => {
        let reason = t('imageFailed');
        if (error.status === 413) reason = t('imageTooBig', { name: file.name });
        else if (error.status === 415) reason = t('imageBadType', { name: file.name });
        view.uploadFailed(id, own, reason, () => {
          uploads = uploads.then(() => uploadImage(file, own));
        });
      },
    );
  }

  /** Several images at once: each checked here (type, 2 MB), then uploaded one after another. */
  function pickImages() {
    const files = Array.from(els.file.files || []);
    els.file.value = '';
    for (const file of files) {
      const problem = core.imageProblem(file);
      if (problem) {
        view.notify(t(problem === 'size' ? 'imageTooBig' : 'imageBadType', { name: file.name }));
        continue;
      }
      uploads = uploads.then(() => uploadImage(file));
    }
  }

  function bindComposer() {
    els.form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    els.input.addEventListener('keydown', (event) => {
      // Enter while an IME is composing (pinyin, kana) picks a candidate; it must not send.
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) {
        return;
      }
      event.preventDefault();
      submit();
    });
    els.input.addEventListener('input', () => {
      autosize();
      updateCounter();
      if (client && els.input.value.trim()) client.typing();
    });
    els.image.addEventListener('click', () => els.file.click());
    els.file.addEventListener('change', pickImages);
  }

  function closeWidget() {
    window.parent.postMessage({ chatflow: 'close' }, '*');
  }

  function bindHeader() {
    if (embedded) {
      els.close.hidden = false;
      els.close.addEventListener('click', closeWidget);
    }
    els.end.addEventListener('click', () => {
      els.confirm.hidden = false;
      els.confirmNo.focus();
    });
    els.confirmNo.addEventListener('click', () => {
      els.confirm.hidden = true;
      els.end.focus();
    });
    els.confirmYes.addEventListener('click', () => {
      els.confirm.hidden = true;
      if (client) client.send({ type: 'end' });
      focusInput();
    });
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      if (!els.confirm.hidden) {
        els.confirm.hidden = true;
        els.end.focus();
      } else if (embedded) {
        closeWidget();
      }
    });
  }

  function bindWindow() {
    window.addEventListener('online', () => client && client.nudge());
    window.addEventListener('offline', () => view.setBanner(t('offline')));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return;
      seen();
      if (client) client.nudge();
    });
    window.addEventListener('focus', seen);
    // Only the widget's own page may say whether the panel is open; nothing else is trusted.
    window.addEventListener('message', (event) => {
      if (!embedded || event.source !== window.parent) return;
      const data = event.data;
      if (!data || typeof data !== 'object') return;
      if (data.chatflow === 'open') {
        shown = true;
        seen();
        focusInput();
        if (client) client.nudge();
      } else if (data.chatflow === 'hidden') {
        shown = false;
      }
    });
  }

  // ---- transport and session API -----------------------------------------------------------

  /** The websocket as core.js wants it: {send, close}; callbacks only after this returns. */
  function openSocket({ token, after }, handlers) {
    const scheme = base.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = new URLSearchParams({ token, after: String(after) });
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${base.host}${basePath}ws/visitor?${query}`);
    } catch (_) {
      setTimeout(() => handlers.close(1006), 0);
      return { send: () => false, close: () => {} };
    }
    ws.onopen = () => handlers.open();
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      handlers.frame(frame);
    };
    ws.onclose = (event) => handlers.close(event.code);
    return {
      send(frame) {
        if (ws.readyState !== WebSocket.OPEN) return false;
        ws.send(JSON.stringify(frame));
        return true;
      },
      close() {
        ws.onopen = null;
        ws.onmessage = null;
        ws.onclose = null;
        try {
          ws.close(1000);
        } catch (_) {
          /* already closing */
        }
      },
    };
  }

  /** The slider puzzle of a captcha site (captcha.js), made when the site first asks for it. */
  function captchaFor(site) {
    let puzzle = null;
    const load = async () => {
      const url = new URL(`api/v1/sites/${encodeURIComponent(site)}/captcha`, base);
      const response = await fetch(url, { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    };
    const made = () =>
      puzzle ||
      (puzzle = window.ChatflowCaptcha.create({
        t,
        load,
        before: els.log,
        onShow: () => view.setBanner(null),
      }));
    return { solve: (failed) => made().solve(failed), hide: () => puzzle && puzzle.hide() };
  }

  /** The code of a problem+json answer ({type: "urn:chatflow:<code>"}), else ''. */
  function problemCode(problem) {
    return problem && typeof problem.type === 'string' ? problem.type.split(':').pop() : '';
  }

  function sessionsApi(site) {
    const captcha = captchaFor(site);
    return {
      async createSession(fields) {
        const url = new URL(`api/v1/sites/${encodeURIComponent(site)}/sessions`, base);
        let body = fields;
        let response;
        for (;;) {
          try {
            response = await fetch(url, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
              body: JSON.stringify(body),
              cache: 'no-store',
            });
          } catch (_) {
            throw new core.SessionError('network', false);
          }
          if (response.status !== 403) break;
          const code = problemCode(await response.clone().json().catch(() => null));
          if (code !== 'captcha_required' && code !== 'captcha_failed') break;
          // A captcha site: solve its puzzle, then try again with the answer.
          body = { ...fields, captcha: await captcha.solve(code === 'captcha_failed') };
        }
        captcha.hide();
        if ([400, 403, 404, 410].includes(response.status)) {
          // problem+json: {type: "urn:chatflow:<code>", detail}; a refused visitor (blacklisted)
          // is told the server's own words, an unknown or disabled site our standard line.
          const problem = await response.json().catch(() => null);
          const code = problem && typeof problem.type === 'string' ? problem.type.split(':').pop() : '';
          if (code === 'blacklisted') {
            throw new core.SessionError('refused', true, 'refused', problem.detail);
          }
          throw new core.SessionError(`HTTP ${response.status}`, true, 'site_unknown');
        }
        if (!response.ok) throw new core.SessionError(`HTTP ${response.status}`, false);
        const data = await response.json().catch(() => null);
        if (!data || typeof data.session_id !== 'string' || typeof data.visitor_token !== 'string') {
          throw new core.SessionError('bad response', false);
        }
        return data;
      },
    };
  }

  function localStore() {
    try {
      const storage = window.localStorage;
      storage.setItem('chatflow.v1.probe', '1');
      storage.removeItem('chatflow.v1.probe');
      return storage;
    } catch (_) {
      return core.memoryStorage();
    }
  }

  // ---- start -------------------------------------------------------------------------------

  applyStrings();
  applyAccent(params.get('color'));
  document.body.classList.add(embedded ? 'is-embedded' : 'is-standalone');
  bindComposer();
  bindHeader();
  bindWindow();

  const site = siteFromPath(window.location.pathname) || params.get('site');
  if (!site) {
    view.notice(t('siteMissing'));
    setComposer(false);
    return;
  }

  const store = core.createStore(site, localStore());
  const handlers = {
    status(detail) {
      view.status(detail);
      if (detail.state === 'fatal') setComposer(false);
    },
    session() {
      if (client.isEnded()) return;
      els.end.hidden = false;
      setComposer(true);
    },
    frame: (detail) => view.frame(detail),
    pending: ({ frame }) => view.pending(frame),
    failed: ({ frame }) => view.failed(frame),
    typing: ({ from }) => view.typing(from),
    reset({ reason }) {
      view.reset(reason);
      if (reason === 'new') {
        unread = 0;
        reportUnread();
        setComposer(true);
      }
      els.image.disabled = true; // until the new session exists
    },
  };
  const host = core.hostVisitor(params.get('visitor'), params.get('name'));
  // Where the chat was opened: the widget passes its host page (page, title, ref); a chat link
  // opened on its own came from its referrer (inside the widget, that would be the host page).
  const page = core.pageInfo({
    url: params.get('page'),
    title: params.get('title'),
    referrer: params.has('ref') || embedded ? params.get('ref') : document.referrer,
  });
  client = core.createClient({
    store,
    api: sessionsApi(site),
    openSocket,
    timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (handle) => clearTimeout(handle) },
    now: () => Date.now(),
    random: Math.random,
    newId: () => core.randomId(window.crypto),
    visitorId: host.id
      ? store.adoptVisitor(host.id)
      : store.visitorId(() => core.randomId(window.crypto)),
    profile: { name: host.name, data: core.hostData(params.get('vars')) },
    page,
    emit: (type, detail) => handlers[type] && handlers[type](detail),
  });

  els.log.setAttribute('aria-busy', 'true');
  client.start();
  els.log.setAttribute('aria-busy', 'false');
  view.scrollToBottom();
  if (!embedded) focusInput();
})();
