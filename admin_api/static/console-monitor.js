/* chatflow admin console: the live monitor (seed 004 实时监控). What is happening now, refreshed
 * every 10 s while the section is shown: visitors waiting per group, offers ringing and each
 * agent's status and load (GET /stats/queue), and the conversations in progress (GET /records
 * with the live statuses; a waiting one that rings for an agent says for whom). A supervisor
 * watches one conversation's lines arrive (its transcript, read every 3 s) and, with the right
 * to edit records, transfers or closes it (the records' batch routes).
 * Everything is limited by the API to what the account may see.
 * API: docs/records-and-stats.md, docs/admin-api.md. User guide: docs/console.md. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const REFRESH_MS = 10000;
  const WATCH_MS = 3000;
  const LIVE = ['queued', 'with_agent', 'bot'];
  const SHOWN = 200; // conversations listed; the records API's largest page
  const NONE = '—';

  // One row per string: [key, zh-CN, English].
  kit.strings([
    ['monitor_nav', '实时监控', 'Live monitor'],
    ['monitor_refresh', '刷新', 'Refresh'],
    [
      'monitor_updated',
      '更新于 {time}，每 10 秒自动刷新',
      'Updated at {time}; refreshes every 10 s',
    ],
    ['monitor_queue', '排队与客服', 'Queue and agents'],
    ['monitor_group', '技能组', 'Group'],
    ['monitor_waiting', '排队访客', 'Waiting'],
    ['monitor_longest', '最长等待', 'Longest wait'],
    ['monitor_nobodyWaiting', '没有访客在排队', 'Nobody is waiting'],
    ['monitor_agent', '客服', 'Agent'],
    ['monitor_status', '状态', 'Status'],
    ['monitor_groups', '技能组', 'Groups'],
    ['monitor_serving', '接待中', 'Serving'],
    ['monitor_noneOnline', '没有客服在线', 'No agent is online'],
    ['monitor_seconds', '{s} 秒', '{s} s'],
    ['monitor_minutes', '{m} 分 {s} 秒', '{m} min {s} s'],
    ['monitor_hours', '{h} 小时 {m} 分', '{h} h {m} min'],
    ['monitor_free', '空闲', 'Free'],
    ['monitor_busy', '忙碌', 'Busy'],
    ['monitor_rest', '小休', 'Break'],
    ['monitor_arrange', '整理', 'Wrap-up'],
    ['monitor_notReady', '未就绪', 'Not ready'],
    ['monitor_offline', '离线', 'Offline'],
    ['monitor_conversations', '进行中的会话', 'Conversations in progress'],
    ['monitor_show', '显示', 'Show'],
    ['monitor_all', '全部', 'All'],
    ['monitor_queued', '排队中', 'Waiting'],
    ['monitor_ringing', '振铃中：{agent}', 'Ringing: {agent}'],
    ['monitor_with_agent', '人工接待中', 'With an agent'],
    ['monitor_bot', '机器人接待', 'With the bot'],
    ['monitor_visitor', '访客', 'Visitor'],
    ['monitor_site', '站点', 'Site'],
    ['monitor_agents', '客服', 'Agents'],
    ['monitor_for', '时长', 'For'],
    ['monitor_since_queued', '已等待 {time}', 'waiting {time}'],
    ['monitor_since_with_agent', '已接待 {time}', 'served {time}'],
    ['monitor_since_bot', '已进行 {time}', 'running {time}'],
    ['monitor_noConversations', '没有进行中的会话', 'No conversation is in progress'],
    ['monitor_more', '显示最早开始的 {n} 个，共 {total} 个', 'The {n} started first of {total}'],
    ['monitor_noRecords', '此账号无权查看会话记录', 'This account may not read conversations'],
    ['monitor_watching', '正在查看：{who}', 'Watching {who}'],
    ['monitor_watchHelp', '每 3 秒读取新消息', 'New lines are read every 3 s'],
    ['monitor_openRecord', '打开会话记录', 'Open the record'],
    ['monitor_stopWatching', '停止查看', 'Stop watching'],
    ['monitor_ended', '会话已结束', 'The conversation has ended'],
    ['monitor_noLines', '还没有消息', 'No lines yet'],
    ['monitor_transfer', '转接', 'Transfer'],
    ['monitor_transferTitle', '转接 {who}', 'Transfer {who}'],
    ['monitor_toGroup', '转到技能组', 'To a group'],
    ['monitor_toAgent', '或转给客服', 'Or to an agent'],
    ['monitor_pickOne', '请选择技能组或客服（二选一）', 'Pick a group or an agent (one of them)'],
    ['monitor_none', '不选', 'None'],
    ['monitor_transferred', '已转接', 'Transferred'],
    ['monitor_close', '结束会话', 'End it'],
    [
      'monitor_confirmClose',
      '以管理员身份结束与 {who} 的会话？',
      'End the conversation with {who} as an admin?',
    ],
    ['monitor_closed', '会话已结束', 'The conversation was ended'],
  ]);

  /** "12 s", "3 min 5 s", "2 h 10 min" of a duration in seconds; "—" for none. */
  function duration(t, seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return NONE;
    const total = Math.max(0, Math.floor(seconds));
    if (total < 60) return t('monitor_seconds', { s: total });
    if (total < 3600) return t('monitor_minutes', { m: Math.floor(total / 60), s: total % 60 });
    return t('monitor_hours', { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60) });
  }

  /** Since when a live conversation is in its state: waiting since it was queued, served since
   * the agent joined, with the bot since it started (ISO text, or null). */
  function since(record) {
    if (record.status === 'queued') return record.queued_at || record.started_at;
    if (record.status === 'with_agent') return record.agent_joined_at || record.started_at;
    return record.started_at;
  }

  /** The list's order: the waiting first, then those with an agent, then with the bot; the
   * longest in that state first. */
  function liveOrder(records) {
    const rank = (r) => {
      const at = LIVE.indexOf(r.status);
      return at < 0 ? LIVE.length : at;
    };
    return [...records].sort(
      (a, b) => rank(a) - rank(b) || Date.parse(since(a)) - Date.parse(since(b)),
    );
  }

  /** A badge of `text` coloured by the agent status: free green, offline red. */
  function statusBadge(status, text) {
    const tone = { free: ' cs-badge-ok', offline: ' cs-badge-off' }[status] || '';
    const badge = el('span', `cs-badge${tone}`, text);
    badge.dataset.status = status;
    return badge;
  }

  function agentStatus(t, status) {
    const key = { not_ready: 'notReady' }[status] || status;
    const label = t(`monitor_${key}`);
    return label === `monitor_${key}` ? status : label;
  }

  /** The shown section; `alive` turns false when it is left. */
  let current = null;
  const { show: showDialog, close: closeDialog } = kit.dialogSlot();

  // ---- the queue and the agents ---------------------------------------------------------

  async function loadQueue(s) {
    const { api, t, explain } = s.ctx;
    const result = await api('GET', 'api/v1/stats/queue');
    if (!s.alive) return;
    if (!result.ok) {
      s.els.queue.replaceChildren(el('p', 'cs-form-error', explain(result)));
      return;
    }
    const board = result.data;
    s.ringing = new Map((board.ringing || []).map((offer) => [offer.session_id, offer.agent]));
    const group = (id) => s.names.groups.get(id) || id;
    const counts = el('div', 'cs-counts mon-counts');
    for (const [status, n] of Object.entries(board.by_status)) {
      counts.appendChild(statusBadge(status, `${agentStatus(t, status)} ${n}`));
    }
    const waiting = kit.table(
      [
        { title: t('monitor_group'), className: 'mon-who', cell: (g) => group(g.group_id) },
        { title: t('monitor_waiting'), className: 'cs-num mon-waiting', cell: (g) => g.waiting },
        {
          title: t('monitor_longest'),
          className: 'cs-num mon-longest',
          cell: (g) => duration(t, g.longest_wait_seconds),
        },
      ],
      board.groups.filter((g) => g.waiting > 0),
      { empty: t('monitor_nobodyWaiting') },
    );
    waiting.classList.add('mon-queue-groups');
    const agents = kit.table(
      [
        {
          title: t('monitor_agent'),
          className: 'mon-who',
          cell: (a) => {
            const name = s.names.agents.get(a.account);
            return name && name !== a.account ? `${name} (${a.account})` : a.account;
          },
        },
        {
          title: t('monitor_status'),
          className: 'mon-status',
          cell: (a) => statusBadge(a.status, agentStatus(t, a.status)),
        },
        { title: t('monitor_groups'), cell: (a) => a.groups.map(group).join(', ') },
        { title: t('monitor_serving'), className: 'cs-num mon-serving', cell: (a) => a.sessions },
      ],
      board.agents,
      { empty: t('monitor_noneOnline') },
    );
    agents.classList.add('mon-queue-agents');
    s.els.queue.replaceChildren(counts, waiting, agents);
  }

  // ---- the conversations in progress ----------------------------------------------------

  const named = (map, key) => (key ? map.get(key) || key : '');
  const who = (r) => kit.visitorName(r.visitor_name, r.visitor_id);
  /** The agent a waiting conversation rings for now (the queue board's), else null. */
  const ringingFor = (s, r) => (r.status === 'queued' && s.ringing.get(r.session_id)) || null;

  /** A conversation's state: a waiting one offered to an agent says "Ringing: <agent>". */
  function state(s, r) {
    const { t } = s.ctx;
    const agent = ringingFor(s, r);
    if (!agent) return t(`monitor_${r.status}`);
    const text = t('monitor_ringing', { agent: named(s.names.agents, agent) });
    return Object.assign(el('span', 'cs-badge mon-ringing', text), { title: agent });
  }

  async function loadConversations(s) {
    const { api, t, explain } = s.ctx;
    if (!s.ctx.can('records')) {
      // the API would refuse every refresh: say so once, ask nothing
      s.els.conversations.replaceChildren(el('p', 'cs-form-error', t('monitor_noRecords')));
      return;
    }
    const params = new URLSearchParams({ limit: String(SHOWN) });
    for (const status of LIVE) params.append('status', status);
    const result = await api('GET', `api/v1/records?${params}`);
    if (!s.alive) return;
    if (!result.ok) {
      const why = result.status === 403 ? t('monitor_noRecords') : explain(result);
      s.els.conversations.replaceChildren(el('p', 'cs-form-error', why));
      return;
    }
    // durations count on the server's clock: the answer's `end` is its "now"
    const now = Date.parse(result.data.end);
    const wanted = s.els.filter.value;
    const shown = liveOrder(result.data.items).filter((r) => !wanted || r.status === wanted);
    const columns = [
      {
        title: t('monitor_visitor'),
        className: 'mon-visitor',
        cell: (r) => Object.assign(el('span', '', who(r)), { title: r.visitor_id }),
      },
      { title: t('monitor_site'), cell: (r) => named(s.names.sites, r.site_key) },
      { title: t('monitor_group'), cell: (r) => named(s.names.groups, r.group_id) },
      { title: t('monitor_status'), className: 'mon-state', cell: (r) => state(s, r) },
      {
        title: t('monitor_agents'),
        cell: (r) => r.agents.map((a) => named(s.names.agents, a)).join(', '),
      },
      {
        title: t('monitor_for'),
        className: 'cs-nowrap mon-for',
        cell: (r) => {
          const seconds = (now - Date.parse(since(r))) / 1000;
          return t(`monitor_since_${r.status}`, { time: duration(t, seconds) });
        },
      },
    ];
    const parts = [
      kit.table(columns, shown, {
        empty: t('monitor_noConversations'),
        onRow: (r) => watch(s, r),
        rowData: (r) => {
          const ringing = ringingFor(s, r);
          return { session: r.session_id, status: r.status, ...(ringing ? { ringing } : {}) };
        },
      }),
    ];
    const total = result.data.total;
    if (total > result.data.items.length) {
      const n = result.data.items.length;
      parts.push(el('p', 'cs-empty', t('monitor_more', { n, total })));
    }
    s.els.conversations.replaceChildren(...parts);
    markWatched(s);
  }

  /** The row of the conversation watched stands out (none when none is). */
  function markWatched(s) {
    for (const row of s.els.conversations.querySelectorAll('tr[data-session]')) {
      row.classList.toggle('is-current', row.dataset.session === s.watching);
    }
  }

  // ---- watching one conversation --------------------------------------------------------

  function stopWatching(s) {
    clearInterval(s.watchTimer);
    s.watchTimer = null;
    s.watching = null;
    s.els.watch.replaceChildren();
    s.els.watch.hidden = true;
    markWatched(s);
  }

  function watch(s, record) {
    const { ctx } = s;
    const { t } = ctx;
    stopWatching(s);
    s.watching = record.session_id;
    const name = who(record);
    const head = el('div', 'cs-toolbar');
    head.appendChild(el('h3', 'mon-watch-title', t('monitor_watching', { who: name })));
    head.appendChild(el('span', 'cs-help', t('monitor_watchHelp')));
    head.appendChild(el('span', 'cs-spacer'));
    const open = el('a', 'cs-link mon-open-record', t('monitor_openRecord'));
    open.href = `#records/${encodeURIComponent(record.session_id)}`;
    head.appendChild(open);
    const actions = [];
    if (ctx.can('records', 'edit')) {
      actions.push(['transfer', 'mon-transfer', t('monitor_transfer'), () => transfer(s, record)]);
      actions.push(['close', 'ui-danger mon-close', t('monitor_close'), () => close(s, record)]);
    }
    actions.push(['stop', 'mon-stop', t('monitor_stopWatching'), () => stopWatching(s)]);
    head.appendChild(kit.actions(actions));
    const state = el('p', 'cs-empty mon-watch-state');
    state.setAttribute('role', 'status');
    const lines = el('div', 'cs-transcript mon-lines', t('loading'));
    lines.setAttribute('role', 'log');
    lines.setAttribute('aria-live', 'polite');
    s.els.watch.replaceChildren(head, state, lines);
    s.els.watch.hidden = false;
    const seen = { count: -1, last: null };
    const read = async () => {
      const id = encodeURIComponent(record.session_id);
      const answer = await ctx.api('GET', `api/v1/records/${id}/transcript`);
      if (!s.alive || s.watching !== record.session_id) return;
      if (!answer.ok) {
        state.textContent = ctx.explain(answer);
        return;
      }
      const { messages } = answer.data;
      const ended = answer.data.record.status === 'ended';
      state.textContent = ended ? t('monitor_ended') : t(`monitor_${answer.data.record.status}`);
      const last = messages.length ? messages[messages.length - 1].seq : null;
      if (messages.length !== seen.count || last !== seen.last) {
        const atBottom = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 40;
        drawLines(s, lines, messages);
        if (atBottom || seen.count < 0) lines.scrollTop = lines.scrollHeight;
        seen.count = messages.length;
        seen.last = last;
      }
      if (ended) {
        clearInterval(s.watchTimer);
        s.watchTimer = null;
      }
    };
    read();
    s.watchTimer = setInterval(read, WATCH_MS);
    markWatched(s);
  }

  function drawLines(s, lines, messages) {
    const { ctx } = s;
    const { t } = ctx;
    const view = root.ConsoleRecordsView;
    if (!messages.length) {
      lines.replaceChildren(el('p', 'cs-empty', t('monitor_noLines')));
      return;
    }
    lines.replaceChildren(
      ...messages.map((m) => {
        const row = el('div', `cs-line cs-line-${m.sender}`);
        row.dataset.seq = String(m.seq);
        const time = el('span', 'cs-line-time', kit.dateTime(m.at, ctx.lang, true));
        time.title = kit.dateTime(m.at, ctx.lang);
        const sender = [view.senderLabel(t, m.sender), named(s.names.agents, m.agent_account)];
        const text = el('span', 'cs-line-text');
        view.lineText(text, m.text, ctx);
        row.append(time, el('span', 'cs-line-who', sender.filter(Boolean).join(' ')), text);
        return row;
      }),
    );
  }

  /** What a batch call on one conversation says: null when done, else why not. */
  async function onOne(s, action, body) {
    const result = await s.ctx.api('POST', `api/v1/records/batch/${action}`, body);
    if (!result.ok) return s.ctx.explain(result);
    const failed = result.data.failed[0];
    return failed ? failed.detail : null;
  }

  function transfer(s, record) {
    const { t } = s.ctx;
    const choices = (map) =>
      [{ value: '', label: t('monitor_none') }].concat(
        [...map].map(([value, name]) => ({
          value,
          label: name === value ? name : `${name} (${value})`,
        })),
      );
    const fields = [
      {
        name: 'group',
        label: t('monitor_toGroup'),
        type: 'select',
        options: choices(s.names.groups),
      },
      {
        name: 'agent',
        label: t('monitor_toAgent'),
        type: 'select',
        options: choices(s.names.agents),
      },
    ];
    let box = null;
    const form = kit.form(fields, { group: '', agent: '' }, t('monitor_transfer'), async (v) => {
      if (Boolean(v.group) === Boolean(v.agent)) return { message: t('monitor_pickOne') };
      const target = v.group ? { group: v.group } : { agent: v.agent };
      const why = await onOne(s, 'transfer', { session_ids: [record.session_id], ...target });
      if (why) return { message: why };
      box.close();
      s.ctx.toast(t('monitor_transferred'), 'info');
      refresh(s);
      return null;
    });
    box = kit.dialog(t('monitor_transferTitle', { who: who(record) }), form);
    showDialog(box);
  }

  function close(s, record) {
    const { t } = s.ctx;
    const run = async () => {
      const why = await onOne(s, 'close', { session_ids: [record.session_id] });
      if (why) return why;
      s.ctx.toast(t('monitor_closed'), 'info');
      refresh(s);
      return null;
    };
    const text = t('monitor_confirmClose', { who: who(record) });
    showDialog(kit.confirm(t('monitor_close'), text, t('monitor_close'), run));
  }

  // ---- the section ----------------------------------------------------------------------

  /** The queue board first: the conversations show whom a waiting one rings for. */
  async function refresh(s) {
    const time = kit.dateTime(new Date(), s.ctx.lang, true);
    s.els.updated.textContent = s.ctx.t('monitor_updated', { time });
    await loadQueue(s);
    if (s.alive) await loadConversations(s);
  }

  function render(s) {
    const { t } = s.ctx;
    const refreshButton = kit.button('mon-refresh', t('monitor_refresh'), () => refresh(s));
    s.els = {
      updated: el('span', 'cs-empty mon-updated'),
      queue: el('div', 'mon-queue', t('loading')),
      conversations: el('div', 'mon-conversations', t('loading')),
      watch: el('section', 'cs-panel mon-watch'),
      filter: kit.select([['', t('monitor_all')], ...LIVE.map((x) => [x, t(`monitor_${x}`)])], ''),
    };
    s.els.watch.hidden = true;
    s.els.filter.classList.add('mon-filter');
    s.els.filter.addEventListener('change', () => loadConversations(s));
    const head = el('div', 'cs-toolbar');
    head.append(el('h2', '', t('monitor_nav')), refreshButton, s.els.updated);
    const queue = el('section', 'cs-panel mon-queue-panel');
    queue.append(el('h3', '', t('monitor_queue')), s.els.queue);
    const list = el('section', 'cs-panel mon-list');
    const listHead = el('div', 'cs-toolbar');
    const show = el('label', '', t('monitor_show'));
    show.appendChild(s.els.filter);
    listHead.append(el('h3', '', t('monitor_conversations')), show);
    list.append(listHead, s.els.conversations);
    s.container.append(head, queue, list, s.els.watch);
  }

  function stop() {
    closeDialog();
    if (!current) return;
    current.alive = false;
    clearInterval(current.timer);
    clearInterval(current.watchTimer);
    current = null;
  }

  kit.register({
    id: 'monitor',
    title: 'monitor_nav',
    order: 15,
    probe: 'api/v1/stats/queue',
    mount(container, ctx) {
      stop();
      const s = { ctx, container, alive: true, watching: null, watchTimer: null };
      s.ringing = new Map(); // session id -> the account its offer rings for (the queue board's)
      s.names = { sites: new Map(), groups: new Map(), agents: new Map() }; // till they load
      current = s;
      render(s);
      // the names first, so the first drawing already shows them
      kit.names(ctx.api).then((names) => {
        if (!s.alive) return;
        s.names = names;
        refresh(s);
      });
      s.timer = setInterval(() => refresh(s), REFRESH_MS);
    },
    unmount: stop,
  });

  root.ConsoleMonitor = { duration, since, liveOrder };
})(typeof self !== 'undefined' ? self : this);
