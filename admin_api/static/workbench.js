/* chatflow agent workbench: logs in, keeps the agent websocket open (reconnecting by itself),
 * draws what WorkbenchState holds and turns the agent's clicks into the agent API's REST calls.
 * Every piece of visitor, bot or colleague text reaches the page through textContent or text
 * nodes, never as markup. Contract: docs/agent-api.md; the user guide: docs/workbench.md. */
(function () {
  'use strict';

  const core = window.ChatflowCore;
  const admin = window.ChatflowAdmin;
  const messages = window.WorkbenchMessages;
  const WB = window.WorkbenchState;
  const Notify = window.WorkbenchNotify;

  const SIDE_TAB_KEY = 'chatflow.workbench.sideTab';
  const MARKS_PATH = 'api/v1/agents/me/marks';
  const PING_EVERY_MS = 25000;

  const $ = (id) => document.getElementById(id);
  const els = {
    app: $('wb-app'),
    status: $('wb-status'),
    reason: $('wb-reason'),
    connection: $('wb-connection'),
    notify: $('wb-notify'),
    me: $('wb-me'),
    logout: $('wb-logout'),
    listSearch: $('wb-list-search'),
    list: $('wb-conversations'),
    listEmpty: $('wb-empty'),
    chatEmpty: $('wb-chat-empty'),
    chatBody: $('wb-chat-body'),
    chatTitle: $('wb-chat-title'),
    chatMeta: $('wb-chat-meta'),
    actions: $('wb-actions'),
    showVisitor: $('wb-show-visitor'),
    panel: $('wb-panel'),
    log: $('wb-log'),
    typing: $('wb-typing'),
    composer: $('wb-composer'),
    input: $('wb-input'),
    suggest: $('wb-suggest'),
    note: $('wb-note'),
    file: $('wb-file'),
    image: $('wb-image'),
    send: $('wb-send'),
    side: $('wb-side'),
    sideClose: $('wb-side-close'),
    tabs: { visitor: $('wb-tab-visitor'), replies: $('wb-tab-replies') },
    panes: { visitor: $('wb-visitor'), replies: $('wb-replies-pane') },
    replySearch: $('wb-reply-search'),
    replies: $('wb-replies'),
    toasts: $('wb-toasts'),
  };

  const page = admin.page({
    path: 'workbench',
    prefix: 'wb',
    messages,
    offline: 'reconnecting',
    onExpired: () => expire(),
  });
  const { lang, t, basePath, client, showLogin } = page;
  const api = client.api;
  const { el, button } = admin;
  let me = null;
  let board = WB.createState();
  let socket = null;
  let attempt = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let lastTyping = 0;
  let rendered = { session: null, lastSeq: 0, count: 0 };
  /** Whether the log follows its newest line: true unless the agent scrolled up from it. */
  let following = true;
  /** The side column's tab on screen. */
  let currentTab = null;
  /** The merchant's groups: [{id, name, sites}] and id -> name. */
  let groups = [];
  let groupNames = new Map();
  /** Agents' nicknames by account, as the sessions read and the picker last named them. */
  let nicknames = new Map();
  /** Unsent text of the conversations not on screen, by session id. */
  const drafts = new Map();
  /** While the marks are read from the server: the conversations whose marks changed since
   * the read left (the answer does not undo them); null otherwise. */
  let marksChanged = null;
  /** Whether the apps were read since the log-in (the first read opens the tab used last). */
  let appsRead = false;
  const notifier = Notify.create({
    Notification: window.Notification,
    document,
    storage: window.localStorage,
    focus: () => window.focus(),
  });
  const replies = window.WorkbenchReplies.create({
    api,
    t,
    input: els.input,
    suggest: els.suggest,
    list: els.replies,
    search: els.replySearch,
    canInsert: () => board.serving(board.state.selected),
    onForbidden: () => {
      els.tabs.replies.hidden = true;
      showTab('visitor');
    },
  });
  const visitorPanel = window.WorkbenchVisitor.create({
    root: els.panes.visitor,
    api,
    t,
    lang,
    basePath,
    toast,
    explain,
    onRenamed: (visitorId, name) => {
      if (board.renameVisitor(visitorId, name)) {
        renderList();
        renderChat();
      }
    },
  });

  const conversationList = window.WorkbenchList.create({
    els,
    t,
    board: () => board,
    visitorName,
    groupName,
    lastLine,
    open: (sessionId) => selectConversation(sessionId),
    accept: (sessionId) => accept(sessionId),
    decline: (sessionId) => decline(sessionId),
  });
  const apps = window.WorkbenchApps.create({
    api,
    t,
    tablist: els.tabs.visitor.parentElement,
    side: els.side,
    onTab: (name) => showTab(name),
    context: appContext,
    insert: (text) => {
      const before = els.input.value;
      els.input.value = before ? `${before}${/\s$/u.test(before) ? '' : ' '}${text}` : text;
      els.input.focus();
    },
    send: (text, sessionId) => postText(sessionId, text),
  });

  // ---- small helpers ---------------------------------------------------------------------

  /** This browser's stored value, or null (a private window may have no storage). */
  function stored(key) {
    try {
      return localStorage.getItem(key);
    } catch (_) {
      return null;
    }
  }

  function store(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (_) {
      // no storage: the choice lasts for the page
    }
  }

  function unstore(key) {
    try {
      localStorage.removeItem(key);
    } catch (_) {
      // no storage: nothing was kept
    }
  }

  /**
   * `read` (async) run one at a time: a call while one is under way is answered by one more
   * run after it, however many calls came meanwhile. `.drop()` forgets that run (log-out).
   */
  function oneAtATime(read) {
    let running = false;
    let again = false;
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await read();
        } while (again);
      } finally {
        running = false;
      }
    };
    run.drop = () => {
      again = false;
    };
    return run;
  }

  function appendText(parent, text) {
    for (const part of core.linkify(String(text))) {
      if (part.href) {
        const a = el('a', 'wb-link', part.text);
        a.href = part.href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        parent.appendChild(a);
      } else {
        parent.appendChild(document.createTextNode(part.text));
      }
    }
  }

  function clockTime(at) {
    const date = new Date(at);
    if (Number.isNaN(date.getTime())) return '';
    return date.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
  }

  /** The visitor's profile name, else "访客 <the visitor id's end>", ringing or served. */
  function visitorName(c) {
    return WB.visitorLabel(c, t('visitor'));
  }

  /** The conversation's newest line as the list and a notification show it ('' for none). */
  function lastLine(c) {
    const last = c.lines[c.lines.length - 1];
    if (!last) return '';
    return last.image ? `[${t('image')}]` : last.text;
  }

  function toast(text, kind) {
    admin.toast(els.toasts, text, kind);
  }

  // ---- the API ---------------------------------------------------------------------------

  /** A refused action as the agent should read it. */
  function explain(result) {
    if (result.status === 503 && result.code === 'queue_unavailable') return t('unavailableQueue');
    if (result.code === 'forbidden_word') {
      const words = ((result.data && result.data.words) || []).join('、');
      return t('forbidden', { words });
    }
    if (result.code === 'not_serving') return t('notServing');
    if (result.code === 'no_survey') return t('noSurvey');
    if (result.code === 'last_agent') return t('lastAgent');
    if (result.code === 'agent_unavailable') {
      const state = result.data && result.data.state;
      return t('agentUnavailable', {
        agent: (result.data && result.data.agent) || '',
        state: state === 'full' ? t('full') : t(state || 'offline'),
      });
    }
    if (result.code === 'not_offered') return t('offerGone');
    if (result.code === 'not_markable') return t('markRefused');
    return t('actionFailed', { message: result.message || result.status });
  }

  // ---- login and logout ------------------------------------------------------------------

  function forget() {
    client.setToken(null);
    me = null;
    clearTimeout(reconnectTimer);
    clearInterval(pingTimer);
    if (socket) {
      socket.onclose = null;
      socket.close(1000);
      socket = null;
    }
    board = WB.createState();
    const gone = apps.clear();
    loadApps.drop();
    appsRead = false;
    for (const name of gone) {
      delete els.tabs[name];
      delete els.panes[name];
    }
    if (gone.length) showTab(savedTab(), false); // an app's tab may have been open
    rendered = { session: null, lastSeq: 0, count: 0 };
    following = true;
    syncSessions.drop();
    drafts.clear();
    groups = [];
    groupNames = new Map();
    nicknames = new Map();
    replies.allow(false);
    els.input.value = '';
    els.listSearch.value = '';
    visitorPanel.show(null);
  }

  function expire() {
    forget();
    showLogin(t('loginExpired'));
  }

  async function logout() {
    await api('PUT', 'api/v1/agents/me/status', { status: 'offline' });
    await api('POST', 'api/v1/auth/logout');
    forget();
    showLogin('');
  }

  async function start() {
    me = await page.signedIn();
    if (!me) return;
    page.showApp();
    loadApps();
    els.me.textContent = me.staff_no ? `${me.nickname} (${me.staff_no})` : me.nickname;
    learnNames({ [me.account]: me.nickname });
    renderStatus();
    renderList();
    renderChat();
    connect();
    loadRights();
    loadGroups();
  }

  /** What the account may read: the quick replies only with the `quick_replies` right (an
   * account of a permission group without it is not asked for them, and has no such tab). */
  async function loadRights() {
    const held = me;
    const result = await api('GET', 'api/v1/agents/me/rights');
    if (me !== held || !me) return;
    // rights that could not be read (the server unreachable): the list is tried, and a 403
    // there hides the tab too
    const may = result.ok ? Boolean(result.data.rights.quick_replies) : true;
    els.tabs.replies.hidden = !may;
    replies.allow(may);
    if (may) replies.load(els.replySearch.value.trim());
    else if (currentTab === 'replies') showTab('visitor', false);
  }

  /** The merchant's group names (any account may read them), for offers and transfers. */
  async function loadGroups() {
    const result = await api('GET', 'api/v1/agents/groups');
    if (!result.ok) return;
    groups = result.data;
    groupNames = new Map(groups.map((g) => [g.id, g.name]));
    renderList();
    renderChat();
  }

  function groupName(id) {
    return groupNames.get(id) || id;
  }

  /** An agent by nickname (its account until one is known). */
  function agentName(account) {
    return nicknames.get(account) || account;
  }

  /** Nicknames by account (a sessions row's `agent_names`, the picker's colleagues). */
  function learnNames(names) {
    for (const [account, name] of Object.entries(names || {})) {
      nicknames.set(account, String(name || account));
    }
  }

  // ---- the websocket ---------------------------------------------------------------------

  /** The agents' socket; `lang` (the page's) words its error frames like the page. */
  function socketUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = new URLSearchParams({ token: client.token(), lang });
    return `${scheme}//${location.host}${basePath}ws/agent?${query}`;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    setConnection(attempt === 0 ? t('connecting') : t('reconnecting'));
    const ws = new WebSocket(socketUrl());
    socket = ws;
    let first = true;
    const again = attempt > 0;
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      handle(frame, first);
      if (first && frame.type === 'status') {
        first = false;
        attempt = 0;
        setConnection('');
        syncSessions();
        loadMarks();
        // the apps may have changed while the socket was down (start() read them first)
        if (again) loadApps();
      }
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      clearInterval(pingTimer);
      if (event.code === 4401) {
        expire();
        return;
      }
      setConnection(t('reconnecting'));
      reconnectTimer = setTimeout(connect, core.backoffDelay(attempt, Math.random));
      attempt += 1;
    };
    clearInterval(pingTimer);
    pingTimer = setInterval(() => sendFrame({ type: 'ping' }), PING_EVERY_MS);
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function setConnection(text) {
    els.connection.hidden = !text;
    els.connection.textContent = text;
  }

  /** Reads what the server gives the agent (the visitors, who serves, the offers still
   * ringing); a call while one is under way is answered by one more read after it. */
  const syncSessions = oneAtATime(async () => {
    const held = board;
    const askedAt = Date.now();
    const result = await api('GET', 'api/v1/agents/me/sessions');
    // an answer for a board logged out of meanwhile is dropped (a read asked since runs)
    if (board !== held || !result.ok) return;
    result.data.forEach((row) => learnNames(row.agent_names));
    if (held.sync(result.data, askedAt)) {
      renderList();
      renderChat();
    }
  });

  /** A server frame; `announced`: the connection's first frame, which restates the status
   * the agent already had (a reload must not repeat the notices it brought). */
  function handle(frame, announced) {
    const out = board.apply(frame, Date.now());
    if (out.status) renderStatus();
    if (out.list) renderList();
    if (out.session && out.session === board.state.selected) renderChat();
    // another tab or browser of the agent (or this one) pinned or muted: a read of the marks
    // under way must not undo it
    if (frame.type === 'marks' && marksChanged) marksChanged.add(frame.session_id);
    if (frame.type === 'apps') loadApps();
    if (frame.type === 'assigned' && !frame.resumed) syncSessions();
    // the offer frame names no visitor: the sessions read does, so it has its name at once
    if (frame.type === 'offer') syncSessions();
    // a colleague invited in: the sessions read names it
    if (frame.type === 'serving' && (frame.agents || []).some((a) => !nicknames.has(a))) {
      syncSessions();
    }
    if (frame.type === 'status' && frame.reason === 'missed' && !announced) {
      toast(t('missedRest'), 'warning');
    }
    const notice = out.notice;
    if (!notice) return;
    popUp(notice);
    if (notice.kind === 'offer') toast(t('newOffer', { group: groupName(notice.group) }), 'info');
    else if (notice.kind === 'offer_gone') toast(offerGoneText(notice), 'info');
    else if (notice.kind === 'invited') toast(t('invited'), 'info');
    else if (notice.kind === 'alert') {
      const words = notice.words.map((w) => w.word).join('、');
      toast(t('alert', { agent: notice.agent, words }), 'warning');
    } else if (notice.kind === 'error') toast(notice.message || notice.code, 'error');
  }

  /** Why an offer left the list: its visitor left, or it went elsewhere. */
  function offerGoneText(notice) {
    return notice.reason === 'left' ? t('offerLeft') : t('offerGone');
  }

  /** A desktop notification for what needs the agent while the workbench is out of sight. */
  function popUp(notice) {
    const c = notice.session ? board.state.conversations.get(notice.session) : null;
    const open = () => {
      if (c && board.state.conversations.has(c.id)) selectConversation(c.id);
    };
    if (notice.kind === 'offer') {
      notifier.show(t('notifyOffer'), groupName(notice.group), notice.session, open);
    } else if (notice.kind === 'message' && c && !c.muted) {
      const body = lastLine(c);
      notifier.show(t('notifyMessage', { name: visitorName(c) }), body, c.id, open);
    } else if (notice.kind === 'invited') {
      notifier.show(t('notifyInvited'), c ? visitorName(c) : '', notice.session, open);
    } else if (notice.kind === 'alert') {
      const words = notice.words.map((w) => w.word).join('、');
      notifier.show(t('notifyAlert'), t('alert', { agent: notice.agent, words }), null, null);
    }
  }

  function renderNotify() {
    const state = notifier.state();
    els.notify.hidden = state === 'unsupported';
    els.notify.textContent = t(`notify_${state}`);
    els.notify.setAttribute('aria-pressed', String(state === 'on'));
  }

  async function toggleNotify() {
    const state = await notifier.toggle();
    renderNotify();
    if (state === 'denied') toast(t('notifyDeniedHelp'), 'warning');
  }

  // ---- the status ------------------------------------------------------------------------

  function renderStatus() {
    const status = board.state.status;
    const options = WB.STATUSES.concat(status === 'offline' ? ['offline'] : []);
    if (els.status.options.length !== options.length) {
      els.status.replaceChildren(
        ...options.map((value) => {
          const option = el('option', null, t(value));
          option.value = value;
          return option;
        }),
      );
    }
    els.status.value = status;
    els.status.className = `wb-status-${status}`;
    els.reason.hidden = !WB.REASON_STATUSES.includes(status);
    if (document.activeElement !== els.reason) els.reason.value = board.state.reason || '';
  }

  async function changeStatus() {
    const status = els.status.value;
    const body = { status };
    const reason = els.reason.value.trim();
    if (reason && WB.REASON_STATUSES.includes(status)) body.reason = reason;
    const result = await api('PUT', 'api/v1/agents/me/status', body);
    if (!result.ok) {
      toast(explain(result), 'error');
      renderStatus();
    }
  }

  // ---- the conversation list -------------------------------------------------------------

  function renderList() {
    conversationList.render(Date.now());
  }

  function selectConversation(sessionId) {
    const previous = board.state.selected;
    if (!board.select(sessionId)) return;
    if (previous !== sessionId) {
      // Each conversation keeps its own unsent draft.
      if (previous) drafts.set(previous, els.input.value);
      els.input.value = drafts.get(sessionId) || '';
      drafts.delete(sessionId);
      replies.hide();
      syncSessions(); // who serves the conversation now (a colleague may have left it)
    }
    closePanel();
    renderList();
    renderChat();
    if (board.serving(sessionId)) els.input.focus();
  }

  // ---- the conversation pane -------------------------------------------------------------

  function lineNode(line) {
    const who = WB.lineSender(line, me ? me.account : '');
    // a colleague's line sits on the visitor's side, in its own colour: mine stay on the right
    const colleague = who.name !== undefined ? ' wb-from-colleague' : '';
    const row = el('div', `wb-line wb-from-${line.from}${colleague}`);
    row.dataset.seq = String(line.seq);
    const label = who.name === undefined ? t(who.key) : who.name;
    const meta = el('div', 'wb-line-meta', `${label} ${clockTime(line.at)}`);
    row.appendChild(meta);
    const bubble = el('div', 'wb-bubble');
    const src = line.image ? core.safeImageUrl(line.image, location.href, basePath) : null;
    if (src) {
      const link = el('a', 'wb-image-link');
      link.href = src;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      const img = el('img', 'wb-image');
      img.src = src;
      img.alt = t('image');
      img.loading = 'lazy';
      // it takes its height only now: the log that followed its end keeps doing so
      img.addEventListener('load', () => {
        if (following && img.isConnected) toEnd();
      });
      link.appendChild(img);
      bubble.appendChild(link);
    } else {
      appendText(bubble, line.text);
    }
    if (line.options.length) {
      const list = el('ul', 'wb-options');
      for (const option of line.options) {
        const label = typeof option === 'object' && option !== null ? option.label : option;
        list.appendChild(el('li', null, label == null ? '' : String(label)));
      }
      bubble.appendChild(list);
    }
    row.appendChild(bubble);
    return row;
  }

  function nearBottom() {
    return els.log.scrollHeight - els.log.scrollTop - els.log.clientHeight < 120;
  }

  function toEnd() {
    following = true;
    els.log.scrollTop = els.log.scrollHeight;
  }

  function renderLines(c) {
    const stick = following || rendered.session !== c.id;
    const last = c.lines[c.lines.length - 1];
    // Lines only added after the last one drawn: append them; anything else: redraw.
    const older = c.lines.filter((line) => line.seq <= rendered.lastSeq).length;
    const appendOnly = rendered.session === c.id && older === rendered.count;
    if (appendOnly) {
      for (const line of c.lines.filter((l) => l.seq > rendered.lastSeq)) {
        els.log.appendChild(lineNode(line));
      }
    } else {
      els.log.replaceChildren(...c.lines.map(lineNode));
    }
    rendered = { session: c.id, lastSeq: last ? last.seq : 0, count: c.lines.length };
    if (stick) toEnd();
  }

  function renderActions(c) {
    const buttons = [];
    if (c.phase === 'ringing') {
      buttons.push(button('ui-primary wb-accept', t('accept'), () => accept(c.id)));
      buttons.push(button('wb-decline', t('decline'), () => decline(c.id)));
    } else if (c.phase === 'active') {
      buttons.push(button('wb-end', t('end'), () => confirmEnd(c.id)));
      buttons.push(button('wb-survey', t('survey'), () => act(c.id, 'survey')));
      buttons.push(button('wb-transfer', t('transfer'), () => openPicker(c.id, 'transfer')));
      buttons.push(button('wb-invite', t('invite'), () => openPicker(c.id, 'invite')));
      if (c.info && c.info.agents.length > 1) {
        buttons.push(button('wb-leave', t('leave'), () => act(c.id, 'leave')));
      }
    } else {
      buttons.push(button('wb-dismiss', t('dismissTab'), () => dismiss(c.id)));
    }
    if (c.phase !== 'ringing') {
      for (const kind of ['pinned', 'muted']) buttons.push(markButton(c, kind));
    }
    els.actions.replaceChildren(...buttons);
  }

  /** Pin / Unpin, Mute / Unmute: kept on the server for the signed-in account. */
  function markButton(c, kind) {
    const on = c[kind];
    const toggle = button(`wb-${kind}`, t(`toggle_${kind}_${on ? 'off' : 'on'}`), () =>
      changeMark(c.id, kind, !on),
    );
    toggle.setAttribute('aria-pressed', String(on));
    return toggle;
  }

  function markPath(sessionId) {
    return `${MARKS_PATH}/${encodeURIComponent(sessionId)}`;
  }

  /** Shows the change at once and writes it through; a refused write is undone and told. */
  async function changeMark(sessionId, kind, on) {
    const held = board;
    if (!held.mark(sessionId, kind, on)) return;
    if (marksChanged) marksChanged.add(sessionId);
    renderList();
    renderChat();
    const result = await api('PATCH', markPath(sessionId), { [kind]: on });
    if (board !== held) return; // logged out meanwhile
    if (result.ok) {
      held.setMark(sessionId, result.data);
    } else {
      held.setMark(sessionId, { [kind]: !on });
      toast(explain(result), 'error');
    }
    renderList();
    renderChat();
  }

  /** The account's marks from the server (at every connection: another browser of the agent
   * may have changed them), then the one-time move of this browser's own older ones. */
  async function loadMarks() {
    const held = board;
    const changed = new Set();
    marksChanged = changed;
    const result = await api('GET', MARKS_PATH);
    if (marksChanged === changed) marksChanged = null;
    if (board !== held || !result.ok) return;
    held.loadMarks(result.data, changed);
    renderList();
    renderChat();
    await moveStoredMarks(held, result.data);
  }

  /** Marks this browser kept before the server did: those the server lacks are sent to it,
   * oldest first, then the browser's copy is removed. It stays for the next start when the
   * network or the server failed; a refused one (a conversation gone since) is dropped. */
  async function moveStoredMarks(held, rows) {
    const key = WB.marksKey(me.account);
    const text = stored(key);
    if (text === null) return;
    let failed = false;
    for (const [sessionId, mark] of WB.unsentMarks(text, rows)) {
      const result = await api('PATCH', markPath(sessionId), mark);
      if (board !== held) return;
      if (result.ok) held.setMark(sessionId, result.data);
      else if (result.status === 0 || result.status >= 500) failed = true;
    }
    if (!failed) unstore(key);
    renderList();
    renderChat();
  }

  function renderChat() {
    const c = board.state.selected ? board.state.conversations.get(board.state.selected) : null;
    els.chatEmpty.hidden = Boolean(c);
    els.chatBody.hidden = !c;
    visitorPanel.show(c);
    apps.update();
    if (!c) {
      rendered = { session: null, lastSeq: 0, count: 0 };
      return;
    }
    els.chatTitle.textContent = visitorName(c);
    const meta = [`${t('group')}: ${groupName(c.group)}`];
    if (c.info) {
      meta.push(`${t('site')}: ${c.info.site_name || c.info.site_key}`);
      meta.push(`${t('agents')}: ${c.info.agents.map(agentName).join(', ')}`);
    }
    meta.push(conversationList.phaseText(c, Date.now()));
    els.chatMeta.textContent = meta.join(' · ');
    renderActions(c);
    renderLines(c);
    renderTyping(c);
    const serving = c.phase === 'active';
    els.input.disabled = !serving;
    els.send.disabled = !serving;
    els.image.disabled = !serving;
    if (!serving) replies.hide();
  }

  function renderTyping(c) {
    const typing = c && c.phase === 'active' && c.visitorTypingUntil > Date.now();
    els.typing.hidden = !typing;
    els.typing.textContent = typing ? t('visitorTyping') : '';
  }

  /** Once a second: ring countdowns, waits and the typing line; an offer past its countdown
   * is read from the server again. */
  function tick() {
    if (els.app.hidden || !me) return;
    const now = Date.now();
    conversationList.tick(now);
    const selected = board.state.conversations.get(board.state.selected);
    renderTyping(selected || null);
    if (board.rungOut(now).length) syncSessions();
  }

  // ---- actions ---------------------------------------------------------------------------

  function sessionPath(sessionId, action) {
    return `api/v1/sessions/${encodeURIComponent(sessionId)}/${action}`;
  }

  async function act(sessionId, action, body) {
    const result = await api('POST', sessionPath(sessionId, action), body);
    if (!result.ok) toast(explain(result), 'error');
    return result.ok;
  }

  /** Whether a refused accept or decline says the offer no longer rings for the agent: it
   * went elsewhere (the agent may no longer see the conversation: 404) or stopped ringing. */
  function offerOver(result) {
    return result.status === 404 || result.code === 'not_offered';
  }

  /** Accept or decline (`action`) an offer; the offer leaves the list once the server declined
   * it for the agent (no frame says so) or said it no longer rings for the agent. */
  async function answerOffer(sessionId, action) {
    const held = board;
    const c = held.state.conversations.get(sessionId);
    const offer = c ? c.offer : 0;
    const result = await api('POST', sessionPath(sessionId, action));
    if (board !== held) return false; // logged out meanwhile
    const over = !result.ok && offerOver(result);
    if ((result.ok && action === 'decline') || over) {
      if (held.dropOffer(sessionId, offer)) {
        renderList();
        renderChat();
      }
    }
    if (over) toast(t('offerGone'), 'info');
    else if (!result.ok) toast(explain(result), 'error');
    return result.ok;
  }

  async function accept(sessionId) {
    if (await answerOffer(sessionId, 'accept')) selectConversation(sessionId);
  }

  async function decline(sessionId) {
    await answerOffer(sessionId, 'decline');
  }

  function dismiss(sessionId) {
    const wasOpen = board.state.selected === sessionId;
    if (!board.dismiss(sessionId)) return;
    api('DELETE', markPath(sessionId)); // its marks go too; one left behind harms nothing
    drafts.delete(sessionId);
    if (wasOpen) {
      const next = board.state.selected;
      els.input.value = (next && drafts.get(next)) || '';
      if (next) drafts.delete(next);
    }
    renderList();
    renderChat();
  }

  function closePanel() {
    els.panel.hidden = true;
    els.panel.replaceChildren();
  }

  function confirmEnd(sessionId) {
    const row = el('div', 'wb-confirm');
    row.appendChild(el('span', null, t('endConfirm')));
    row.appendChild(
      button('ui-danger wb-confirm-yes', t('confirm'), async () => {
        closePanel();
        await act(sessionId, 'end');
      }),
    );
    row.appendChild(button('wb-confirm-no', t('cancel'), closePanel));
    els.panel.replaceChildren(row);
    els.panel.hidden = false;
  }

  /** The transfer and invitation picker: the merchant's online colleagues, and for a
   * transfer the groups too. */
  async function openPicker(sessionId, action) {
    const agents = await api('GET', 'api/v1/agents');
    const colleagues = agents.ok ? agents.data.filter((a) => a.account !== me.account) : [];
    if (agents.ok) learnNames(Object.fromEntries(agents.data.map((a) => [a.account, a.nickname])));
    const box = el('div', 'wb-picker');
    box.appendChild(el('h3', null, action === 'transfer' ? t('transferTo') : t('invite')));
    if (action === 'transfer') {
      // A conversation goes to one of its site's groups.
      const c = board.state.conversations.get(sessionId);
      const site = c && c.info ? c.info.site_key : null;
      const section = el('div', 'wb-picker-groups');
      section.appendChild(el('h4', null, t('toGroup')));
      for (const group of groups) {
        if (site && !group.sites.includes(site)) continue;
        section.appendChild(
          button('wb-pick-group', group.name, async () => {
            if (await act(sessionId, 'transfer', { group: group.id })) closePanel();
          }),
        );
      }
      box.appendChild(section);
    }
    const section = el('div', 'wb-picker-agents');
    section.appendChild(el('h4', null, t('toAgent')));
    if (colleagues.length === 0) section.appendChild(el('p', 'wb-empty', t('noColleagues')));
    for (const colleague of colleagues) {
      const label = `${colleague.nickname || colleague.account} · ${t(colleague.status)}`;
      section.appendChild(
        button('wb-pick-agent', label, async () => {
          if (await act(sessionId, action, { agent: colleague.account })) {
            closePanel();
            syncSessions(); // who serves it now, for the leave button
          }
        }),
      );
    }
    box.appendChild(section);
    box.appendChild(button('wb-picker-close', t('cancel'), closePanel));
    els.panel.replaceChildren(box);
    els.panel.hidden = false;
  }

  // ---- the composer ----------------------------------------------------------------------

  function note(text) {
    els.note.textContent = text || '';
  }

  async function sendText() {
    const sessionId = board.state.selected;
    const text = els.input.value.trim();
    if (!sessionId || !text || !board.serving(sessionId)) return;
    if (core.textLength(text) > core.MAX_TEXT) {
      note(t('tooLong', { max: core.MAX_TEXT }));
      return;
    }
    replies.hide();
    els.input.value = '';
    note(t('sending'));
    const sent = await postText(sessionId, text);
    note('');
    if (!sent.ok) {
      // Not sent: the agent gets the text back to mend or send again.
      if (!els.input.value) els.input.value = text;
      note(sent.message);
    }
  }

  /** Sends `text` as the agent (the composer, an app): {ok, code?, message?}. */
  async function postText(sessionId, text) {
    if (core.textLength(text) > core.MAX_TEXT) return { ok: false, code: 'too_long' };
    const id = core.randomId(window.crypto);
    const result = await api('POST', sessionPath(sessionId, 'messages'), { text, id });
    if (result.ok) return { ok: true };
    return { ok: false, code: result.code || String(result.status), message: explain(result) };
  }

  async function sendImages() {
    const sessionId = board.state.selected;
    const files = Array.from(els.file.files || []);
    els.file.value = '';
    if (!sessionId || files.length === 0) return;
    const form = new FormData();
    for (const file of files) {
      const problem = core.imageProblem(file);
      if (problem) {
        toast(t(problem === 'size' ? 'imageTooBig' : 'imageBadType', { name: file.name }), 'error');
        continue;
      }
      form.append('file', file, file.name);
    }
    if (!form.has('file')) return;
    note(t('sending'));
    const result = await api('POST', sessionPath(sessionId, 'images'), form);
    note(result.ok ? '' : t('imageFailed'));
  }

  function onInput() {
    const sessionId = board.state.selected;
    const now = Date.now();
    if (sessionId && board.serving(sessionId) && now - lastTyping > core.TYPING_EVERY_MS) {
      lastTyping = now;
      sendFrame({ type: 'typing', session_id: sessionId });
    }
    replies.onInput();
  }

  function onKeyDown(event) {
    if (replies.onKeyDown(event)) return;
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  }

  // ---- the side column: the visitor panel and quick replies -----------------------------

  function showTab(name, remember = true) {
    const opened = name !== currentTab;
    currentTab = name;
    for (const [key, tab] of Object.entries(els.tabs)) {
      tab.setAttribute('aria-selected', String(key === name));
      els.panes[key].hidden = key !== name;
    }
    apps.show(name);
    if (remember) store(SIDE_TAB_KEY, name);
    // a tab opened shows what the server has now (an admin's new reply, a blacklisting)
    if (opened && me && name === 'replies') replies.load(els.replySearch.value.trim());
    if (opened && me && name === 'visitor') visitorPanel.refresh();
  }

  /** The tab used last, if this page has it (an app's tab once the apps are read). */
  function savedTab() {
    const saved = stored(SIDE_TAB_KEY);
    return saved && els.tabs[saved] && !els.tabs[saved].hidden ? saved : 'visitor';
  }

  /** The merchant's apps become tabs of the side column (docs/workbench.md), at start and
   * again when the socket says they changed; a read asked while one is under way follows it. */
  const loadApps = oneAtATime(async () => {
    const first = !appsRead;
    const change = await apps.load();
    if (change) {
      appsRead = true;
      changeTabs(change, first);
    }
  });

  /** Tabs added and removed by a read of the apps; the first read opens the app's tab the
   * agent used last, and an open tab that was removed gives way to the visitor's. */
  function changeTabs(change, first) {
    for (const [name, parts] of Object.entries(change.added)) {
      els.tabs[name] = parts.tab;
      els.panes[name] = parts.pane;
    }
    for (const name of change.removed) {
      delete els.tabs[name];
      delete els.panes[name];
    }
    if (first && stored(SIDE_TAB_KEY) in change.added) showTab(stored(SIDE_TAB_KEY));
    else if (change.removed.includes(currentTab)) showTab('visitor', false);
  }

  /** The conversation on screen as the apps see it, or null. */
  function appContext() {
    const c = board.state.selected ? board.state.conversations.get(board.state.selected) : null;
    if (!c || !me) return null;
    const info = c.info || {};
    return {
      session_id: c.id,
      phase: c.phase,
      group: c.group,
      site: info.site_key || null,
      visitor: { id: info.visitor_id || null, name: info.visitor_name || null },
      agent: { account: me.account, nickname: me.nickname || null },
    };
  }

  /** The header's "visitor details": the visitor tab, and on a narrow screen the column over
   * the conversation. */
  function openVisitor() {
    showTab('visitor');
    els.side.classList.add('is-open');
  }

  // ---- wiring ----------------------------------------------------------------------------

  function wire() {
    page.wireLogin(explain, start);
    els.logout.addEventListener('click', logout);
    els.status.addEventListener('change', changeStatus);
    els.reason.addEventListener('change', () => {
      if (WB.REASON_STATUSES.includes(els.status.value)) changeStatus();
    });
    els.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      sendText();
    });
    els.input.addEventListener('input', onInput);
    els.input.addEventListener('keydown', onKeyDown);
    els.image.addEventListener('click', () => els.file.click());
    els.file.addEventListener('change', sendImages);
    els.notify.addEventListener('click', toggleNotify);
    els.showVisitor.addEventListener('click', openVisitor);
    els.sideClose.addEventListener('click', () => els.side.classList.remove('is-open'));
    els.log.addEventListener('scroll', () => {
      following = nearBottom();
    });
    for (const [name, tab] of Object.entries(els.tabs)) {
      tab.addEventListener('click', () => showTab(name));
    }
    showTab(savedTab(), false); // an app's tab, remembered, opens once the apps are read
    renderNotify();
    els.listSearch.addEventListener('input', renderList);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !els.panel.hidden) closePanel();
      else if (event.key === 'Escape') els.side.classList.remove('is-open');
    });
    setInterval(tick, 1000);
    if (client.token()) start();
    else showLogin('');
  }

  wire();
})();
