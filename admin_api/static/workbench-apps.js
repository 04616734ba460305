/* chatflow workbench: the merchant's apps beside the conversation (seed 004 来电弹屏, the
 * third-party area of the agent's screen; Chatwoot's dashboard apps). Each enabled app of
 * GET /agents/me/apps is a tab of the side column holding its page in a sandboxed iframe,
 * loaded the first time the tab is opened. The page learns the conversation on screen by
 * postMessage, and may ask for it, put text in the composer or send text as the agent
 * (docs/workbench.md, "Apps beside the conversation"). Messages are taken only from the app's
 * own frame and origin, and sent only to that origin. The socket's `apps` frame (an admin
 * changed the apps) reads them again. Exposed as window.WorkbenchApps. */
(function (root) {
  'use strict';

  const FROM_APP = 'chatflow-app';
  const TO_APP = 'chatflow';
  const SANDBOX = 'allow-scripts allow-same-origin allow-forms allow-popups';

  /** The origin of an app's address, or null for one the workbench will not frame (not
   * http(s), or chatflow's own origin, whose page could reach into the workbench). */
  function frameOrigin(url, here) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch (_) {
      return null;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
    return parsed.origin === here ? null : parsed.origin;
  }

  /**
   * What a fresh read of the apps (`rows`, GET /agents/me/apps) changes in those held (`held`,
   * a Map from tab name `app-<id>` to {app}): `{apps, added: [app], removed: [name],
   * readdressed: [app]}`, `apps` and `added` in the server's order; a row that is not an app
   * with an id is skipped.
   */
  function appsChange(held, rows) {
    const fresh = (Array.isArray(rows) ? rows : []).filter(
      (app) => app && typeof app === 'object' && Number.isInteger(app.id),
    );
    const names = new Set(fresh.map((app) => `app-${app.id}`));
    const added = [];
    const readdressed = [];
    for (const app of fresh) {
      const entry = held.get(`app-${app.id}`);
      if (!entry) added.push(app);
      else if (entry.app.url !== app.url) readdressed.push(app);
    }
    const removed = [...held.keys()].filter((name) => !names.has(name));
    return { apps: fresh, added, removed, readdressed };
  }

  /**
   * options: {api, t, tablist (where the tabs go, before its last child), side (where the
   * panes go), onTab(name), context() (the conversation on screen as apps see it, or null),
   * insert(text), send(text, sessionId) -> Promise<{ok, code?}>}. `load()` reads the apps
   * (again: it brings the tabs in line) and answers the tabs added and removed; `update()` tells
   * every loaded app when the conversation on screen changed; `show(name)` loads an app's page
   * the first time.
   */
  function create(options) {
    const admin = root.ChatflowAdmin;
    const { el } = admin;
    const { api, t } = options;
    /** tab name -> {app, tab, pane, frame (once loaded), origin} */
    const apps = new Map();
    let told = '';
    /** Counts the clear()s: a read answered after one is dropped (another account's). */
    let generation = 0;

    function post(entry, message) {
      if (entry.frame && entry.frame.contentWindow) {
        entry.frame.contentWindow.postMessage({ source: TO_APP, ...message }, entry.origin);
      }
    }

    function tellConversation(entry) {
      post(entry, { event: 'conversation', conversation: options.context() });
    }

    function addTab(app) {
      const name = `app-${app.id}`;
      const tab = admin.button('wb-tab wb-app-tab', app.name, () => options.onTab(name));
      tab.id = `wb-tab-${name}`;
      tab.setAttribute('role', 'tab');
      tab.setAttribute('aria-selected', 'false');
      tab.setAttribute('aria-controls', `wb-${name}`);
      tab.classList.remove('ui-button');
      const pane = el('section', 'wb-app-pane');
      pane.id = `wb-${name}`;
      pane.setAttribute('role', 'tabpanel');
      pane.setAttribute('aria-labelledby', tab.id);
      pane.hidden = true;
      options.side.appendChild(pane);
      const origin = frameOrigin(app.url, location.origin);
      apps.set(name, { app, tab, pane, frame: null, origin });
      return { tab, pane };
    }

    /** An app whose address changed: its page is loaded anew (at once if its tab is open). */
    function readdress(name, app) {
      const entry = apps.get(name);
      entry.frame = null;
      entry.pane.replaceChildren();
      entry.origin = frameOrigin(app.url, location.origin);
      entry.app = app;
      if (!entry.pane.hidden) show(name);
    }

    /**
     * Reads the apps (at login, and again on the socket's `apps` frame) and brings the tabs in
     * line: new ones are added, those gone removed, a renamed one renamed; a page already loaded
     * stays as it is unless its address changed. Answers `{added: {name: {tab, pane}},
     * removed: [name]}`, or null when the read failed or a clear() came meanwhile.
     */
    async function load() {
      const held = generation;
      const result = await api('GET', 'api/v1/agents/me/apps');
      if (held !== generation || !result.ok || !Array.isArray(result.data)) return null;
      const plan = appsChange(apps, result.data);
      for (const name of plan.removed) {
        const entry = apps.get(name);
        entry.tab.remove();
        entry.pane.remove();
        apps.delete(name);
      }
      const added = {};
      for (const app of plan.added) added[`app-${app.id}`] = addTab(app);
      for (const app of plan.readdressed) readdress(`app-${app.id}`, app);
      for (const app of plan.apps) {
        const entry = apps.get(`app-${app.id}`);
        entry.app = app;
        entry.tab.textContent = app.name;
        if (entry.frame) entry.frame.title = app.name;
        // in the server's order, before the tab list's last child
        options.tablist.insertBefore(entry.tab, options.tablist.lastElementChild);
      }
      return { added, removed: plan.removed };
    }

    /** The app's page, loaded the first time its tab is shown. */
    function show(name) {
      const entry = apps.get(name);
      if (!entry || entry.frame || entry.pane.childElementCount) return;
      if (!entry.origin) {
        entry.pane.appendChild(el('p', 'wb-empty', t('appRefused')));
        return;
      }
      const frame = el('iframe', 'wb-app-frame');
      frame.title = entry.app.name;
      frame.setAttribute('sandbox', SANDBOX);
      frame.referrerPolicy = 'no-referrer';
      frame.addEventListener('load', () => tellConversation(entry));
      frame.src = entry.app.url;
      entry.frame = frame;
      entry.pane.appendChild(frame);
    }

    /** After each redraw: the loaded apps hear of a new conversation on screen, or a change
     * in it (its phase, the visitor's name), once. */
    function update() {
      const now = JSON.stringify(options.context());
      if (now === told) return;
      told = now;
      for (const entry of apps.values()) tellConversation(entry);
    }

    function entryOf(event) {
      for (const entry of apps.values()) {
        if (entry.frame && event.source === entry.frame.contentWindow) {
          return event.origin === entry.origin ? entry : null;
        }
      }
      return null;
    }

    async function onMessage(event) {
      const entry = entryOf(event);
      const data = event.data;
      if (!entry || !data || typeof data !== 'object' || data.source !== FROM_APP) return;
      if (data.event === 'getConversation') {
        tellConversation(entry);
        return;
      }
      if (data.event !== 'insertText' && data.event !== 'sendText') return;
      const answer = (ok, code) => post(entry, { event: 'result', for: data.event, ok, code });
      const text = typeof data.text === 'string' ? data.text.trim() : '';
      const current = options.context();
      if (!text) return answer(false, 'empty');
      if (!current || current.phase !== 'active') return answer(false, 'not_serving');
      if (data.session_id !== undefined && data.session_id !== current.session_id) {
        return answer(false, 'not_current');
      }
      if (data.event === 'insertText') {
        options.insert(text);
        return answer(true);
      }
      const sent = await options.send(text, current.session_id);
      return answer(sent.ok, sent.code);
    }

    /** Takes the tabs and pages away (a log-out: the next account may be another merchant's);
     * answers the names that were there. */
    function clear() {
      generation += 1;
      const names = [...apps.keys()];
      for (const entry of apps.values()) {
        entry.tab.remove();
        entry.pane.remove();
      }
      apps.clear();
      told = '';
      return names;
    }

    root.addEventListener('message', onMessage);
    return { load, show, update, clear };
  }

  root.WorkbenchApps = { create, frameOrigin, appsChange };
})(typeof self !== 'undefined' ? self : this);
