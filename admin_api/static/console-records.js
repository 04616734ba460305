/* chatflow admin console: service records (seeds 000/003/004, 服务记录 / 會話紀錄). The list
 * (date range, site, channel, group, agent, status, closed by, end reason, rating, text
 * search; newest first, paged),
 * its Excel and Word exports and batch close and delete; one record with its transcript is
 * console-records-view.js. The filters live in the #hash (#records/?<query>, and
 * #records/<session id>/?<query> for a record), so a reload and the back link keep them.
 * API: docs/records-and-stats.md. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const PAGE = 50;
  // the list's filters, as the #hash and the API name them
  const FILTERS = 'start end site channel group agent status closed_by end_reason rating q'
    .split(' ');
  const DAY = 86400000;

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['records_nav', '服务记录', 'Service records'],
    ['records_title', '服务记录', 'Service records'],
    ['records_start', '开始日期', 'From'],
    ['records_end', '结束日期', 'To'],
    ['records_site', '站点', 'Site'],
    ['records_group', '技能组', 'Group'],
    ['records_agent', '客服', 'Agent'],
    ['records_status', '状态', 'Status'],
    ['records_closedBy', '结束方', 'Closed by'],
    ['records_rating', '评分', 'Rating'],
    ['records_q', '搜索', 'Search'],
    ['records_qHint', '聊天内容，或访客姓名、电话、邮箱、备注', 'Chat text, or a visitor’s name, phone…'],
    ['records_any', '全部', 'Any'],
    ['records_search', '查询', 'Search'],
    ['records_reset', '重置', 'Reset'],
    ['records_withTranscripts', '包含聊天记录', 'With transcripts'],
    ['records_exportExcel', '导出 Excel', 'Export Excel'],
    ['records_exportWord', '导出 Word', 'Export Word'],
    ['records_exportRefused', '无法导出：{message}', 'Cannot export: {message}'],
    ['records_startedAt', '开始时间', 'Started'],
    ['records_visitor', '访客', 'Visitor'],
    ['records_agents', '接待客服', 'Agents'],
    ['records_reception', '接待时长（分钟）', 'Reception (min)'],
    ['records_empty', '没有符合条件的记录', 'No records match'],
    ['records_statusBot', '机器人接待', 'With the bot'],
    ['records_statusQueued', '排队中', 'Queued'],
    ['records_statusWithAgent', '人工服务中', 'With an agent'],
    ['records_statusEnded', '已结束', 'Ended'],
    ['records_byClient', '访客', 'Visitor'],
    ['records_bySeat', '客服', 'Agent'],
    ['records_byAdmin', '管理员', 'Admin'],
    ['records_byTimer', '超时', 'Timeout'],
    ['records_close', '结束所选', 'Close selected'],
    ['records_delete', '删除所选', 'Delete selected'],
    ['records_selectRow', '选择此记录', 'Select this record'],
    ['records_confirmClose', '结束所选的 {n} 个会话？', 'Close the {n} selected conversations?'],
    [
      'records_confirmDelete',
      '删除所选的 {n} 个会话及其聊天记录？删除后无法恢复。',
      'Delete the {n} selected conversations and their transcripts? This cannot be undone.',
    ],
    ['records_confirm', '确定', 'Confirm'],
    ['records_batchDone', '{done} 个成功，{failed} 个失败', '{done} done, {failed} failed'],
  ];
  kit.strings(STRINGS);

  // Labels through literal keys (the string scan finds them); unknown values show as they are.
  const statusLabel = (t, s) =>
    ({
      bot: t('records_statusBot'),
      queued: t('records_statusQueued'),
      with_agent: t('records_statusWithAgent'),
      ended: t('records_statusEnded'),
    })[s] || s || '';
  const closedLabel = (t, s) =>
    ({
      client: t('records_byClient'),
      seat: t('records_bySeat'),
      admin: t('records_byAdmin'),
      timer: t('records_byTimer'),
    })[s] || s || '';

  // ---- the #hash, dates and times ------------------------------------------------------------

  /** The filters (and offset) of a hash part '?start=...&q=...'. */
  function parseQuery(part) {
    const out = {};
    if (!part || part[0] !== '?') return out;
    for (const [key, value] of new URLSearchParams(part.slice(1))) {
      if (FILTERS.includes(key) || key === 'offset') out[key] = value;
    }
    return out;
  }

  /** The query as one hash part: encoded whole, so a '/' or '&' in the search stays put. */
  function queryPart(query) {
    const params = new URLSearchParams();
    for (const key of [...FILTERS, 'offset']) if (query[key]) params.set(key, query[key]);
    const text = params.toString();
    return text ? `/${encodeURIComponent(`?${text}`)}` : '';
  }

  const listHash = (query) => `#records${queryPart(query)}`;
  const recordHash = (id, query) => `#records/${encodeURIComponent(id)}${queryPart(query)}`;

  /** The API's query of the filters: whole local days; empty filters left out. */
  function apiParams(filters) {
    const params = new URLSearchParams();
    for (const key of FILTERS) {
      const value = (filters[key] || '').trim();
      if (!value) continue;
      if (key === 'start') params.set('start', kit.midnight(value));
      else if (key === 'end') params.set('end', kit.midnight(value, 1));
      else params.set(key, value);
    }
    return params;
  }

  const when = kit.dateTime; // (iso, lang, timeOnly): the one format of every section

  // ---- what every view needs once: today's range and the filters' choices ---------------------

  let cache = null;

  /** The server's last 30 days as local dates (its clock, in the probe's answer, decides), and
   * the sites, groups, agents and webhook channels (when the account sees them) by name. */
  async function context(ctx) {
    if (cache && cache.account === ctx.me.account) return cache;
    const probe = ctx.probe;
    if (!probe.ok) return { error: probe };
    const end = new Date(probe.data.end);
    const [names, hooks] = await Promise.all([
      kit.names(ctx.api), // sites, groups, agents
      ctx.can('channels', 'view') ? ctx.api('GET', 'api/v1/channels') : { ok: false },
    ]);
    cache = {
      account: ctx.me.account,
      today: kit.localDay(end),
      since: kit.localDay(new Date(end.getTime() - 30 * DAY)),
      ...names,
      channels: (hooks.ok ? hooks.data : []).map((c) => [`webhook:${c.key}`, c.name || c.key]),
    };
    return cache;
  }

  const named = (map, key) => (key ? map.get(key) || key : '');
  const channelOf = (t, r) => root.ConsoleRecordsView.channelLabel(t, r);
  const agentsOf = (env, r) =>
    [...new Set([r.agent_account, ...(r.agents || [])].filter(Boolean))]
      .map((a) => named(env.agents, a))
      .join(', ');

  // ---- the list ------------------------------------------------------------------------------

  function filterForm(view, env, filters) {
    const { t } = view.ctx;
    const form = el('form', 'cs-toolbar cs-records-filters');
    form.noValidate = true;
    const inputs = {};
    const choices = (pairs) => [['', t('records_any')], ...pairs];
    const add = (name, label, control) => {
      const row = el('label');
      row.append(el('span', '', label), control);
      control.classList.add('cs-input');
      control.name = name;
      control.value = filters[name] || '';
      inputs[name] = control;
      form.appendChild(row);
    };
    const input = (type) => Object.assign(el('input'), { type });
    add('start', t('records_start'), input('date'));
    add('end', t('records_end'), input('date'));
    add('site', t('records_site'), kit.select(choices([...env.sites])));
    // the web channel, every IM channel, each IM channel the account sees (and the one asked)
    const channels = [['web', t('records_channelWeb')], ['webhook', t('records_channelWebhook')]];
    channels.push(...env.channels);
    const asked = filters.channel;
    if (asked && !channels.some(([value]) => value === asked)) channels.push([asked, asked]);
    add('channel', t('records_channel'), kit.select(choices(channels)));
    add('group', t('records_group'), kit.select(choices([...env.groups])));
    add('agent', t('records_agent'), kit.select(choices([...env.agents])));
    const statuses = ['bot', 'queued', 'with_agent', 'ended'].map((s) => [s, statusLabel(t, s)]);
    add('status', t('records_status'), kit.select(choices(statuses)));
    const closers = ['client', 'seat', 'admin', 'timer'].map((s) => [s, closedLabel(t, s)]);
    add('closed_by', t('records_closedBy'), kit.select(choices(closers)));
    // how the conversation ended: after a service, as the service did (an agent's end is
    // "agent" even when a survey nobody answers follows); the words are the record view's
    const endReason = (r) => root.ConsoleRecordsView.endReasonLabel(t, r);
    const reasons = ['flow', 'idle', 'agent', 'visitor', 'admin'].map((r) => [r, endReason(r)]);
    add('end_reason', t('records_endReason'), kit.select(choices(reasons)));
    add('rating', t('records_rating'), Object.assign(input('number'), { min: '0', max: '10' }));
    const q = Object.assign(input('search'), { maxLength: 100, placeholder: t('records_qHint') });
    add('q', t('records_q'), q);
    const go = el('button', 'ui-button ui-primary', t('records_search'));
    go.type = 'submit';
    const reset = kit.button('cs-records-reset', t('records_reset'), () => show(view, '#records'));
    form.append(go, reset);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const query = {};
      for (const name of FILTERS) query[name] = inputs[name].value.trim();
      show(view, listHash(query));
    });
    return form;
  }

  /** Goes to `hash`; the same hash again (a repeated search) reloads the view. */
  function show(view, hash) {
    if (location.hash === hash) mountView(view.container, view.ctx, hash);
    else view.ctx.navigate(hash);
  }

  async function exportFile(view, path, status) {
    const { ctx } = view;
    status.textContent = '';
    const result = await kit.download(ctx.api, path, 'records');
    if (!result.ok && view.alive) {
      const why = result.status === 403 ? `${ctx.t('forbidden')} (${result.message})` : null;
      status.textContent = ctx.t('records_exportRefused', { message: why || ctx.explain(result) });
    }
  }

  function exportBar(view, filters, status) {
    const { t } = view.ctx;
    const box = Object.assign(el('input', 'cs-records-transcripts'), { type: 'checkbox' });
    const label = el('label', 'cs-check');
    label.append(box, document.createTextNode(t('records_withTranscripts')));
    const run = (format) => () => {
      const params = apiParams(filters);
      params.set('format', format);
      if (box.checked) params.set('transcripts', 'true');
      params.set('tz', kit.timeZone());
      params.set('lang', view.ctx.lang); // headings and values for people
      exportFile(view, `api/v1/records/export?${params}`, status);
    };
    const bar = el('div', 'cs-actions');
    bar.append(
      kit.button('cs-records-xlsx', t('records_exportExcel'), run('xlsx')),
      kit.button('cs-records-docx', t('records_exportWord'), run('docx')),
      label,
    );
    return bar;
  }

  /** Close or delete the chosen records, after a confirmation; a refusal shows in its dialog. */
  function batchBar(view, chosen) {
    const { ctx } = view;
    const { t } = ctx;
    const act = (action, question) => () => {
      const ids = [...chosen];
      if (!ids.length) return;
      const run = async () => {
        const body = { session_ids: ids };
        const result = await ctx.api('POST', `api/v1/records/batch/${action}`, body);
        if (!result.ok) return ctx.explain(result);
        const done = { done: result.data.success_count, failed: result.data.failure_count };
        const why = result.data.failed.map((f) => `${f.session_id.slice(0, 8)}: ${f.detail}`);
        const kind = done.failed ? 'warning' : 'info';
        ctx.toast([t('records_batchDone', done), ...why].join(' · '), kind);
        if (view.alive) mountView(view.container, ctx, location.hash);
        return null;
      };
      const text = question(ids.length);
      showDialog(kit.confirm(t('records_title'), text, t('records_confirm'), run));
    };
    const closing = act('close', (n) => t('records_confirmClose', { n }));
    const deleting = act('delete', (n) => t('records_confirmDelete', { n }));
    const close = kit.button('cs-records-close', t('records_close'), closing);
    const remove = kit.button('cs-records-delete', t('records_delete'), deleting);
    const bar = el('div', 'cs-actions');
    bar.append(close, remove);
    const update = () => {
      close.disabled = remove.disabled = chosen.size === 0;
    };
    update();
    return { bar, update };
  }

  async function list(view, query) {
    const { ctx, container } = view;
    const { t } = ctx;
    const title = el('h2', '', t('records_title'));
    container.replaceChildren(title, el('p', 'cs-empty', t('loading')));
    const env = await context(ctx);
    if (!view.alive) return;
    if (env.error) {
      container.replaceChildren(title, el('p', 'cs-form-error', ctx.explain(env.error)));
      return;
    }
    const filters = { start: env.since, end: env.today, ...query };
    const offset = Math.max(0, Number(query.offset) || 0);
    const status = el('p', 'cs-form-error cs-records-status');
    status.setAttribute('role', 'alert');
    const results = el('div', 'cs-section', el('p', 'cs-empty', t('loading')));
    const form = filterForm(view, env, filters);
    const exports = ctx.can('exports', 'view') ? [exportBar(view, filters, status)] : [];
    container.replaceChildren(title, form, ...exports, status, results);
    const params = apiParams(filters);
    params.set('limit', String(PAGE));
    params.set('offset', String(offset));
    const answer = await ctx.api('GET', `api/v1/records?${params}`);
    if (!view.alive) return;
    if (!answer.ok) {
      const fields = ((answer.data && answer.data.errors) || []).map((e) => e.message);
      const why = [ctx.explain(answer), ...fields].join(' ');
      results.replaceChildren(el('p', 'cs-form-error', why));
      return;
    }
    const page = answer.data;
    const chosen = new Set();
    const batch = batchBar(view, chosen);
    const pick = (row) => {
      const box = Object.assign(el('input', 'cs-records-pick'), { type: 'checkbox' });
      box.setAttribute('aria-label', t('records_selectRow'));
      box.addEventListener('change', () => {
        if (box.checked) chosen.add(row.session_id);
        else chosen.delete(row.session_id);
        batch.update();
      });
      return box;
    };
    const visitor = (r) => {
      const cell = el('span', '', kit.visitorName(r.visitor_name, r.visitor_id));
      cell.title = r.visitor_id;
      return cell;
    };
    const nowrap = 'cs-nowrap';
    const editing = ctx.can('records', 'edit');
    const columns = [
      ...(editing ? [{ title: '', cell: pick }] : []),
      {
        title: t('records_startedAt'),
        cell: (r) => when(r.started_at, ctx.lang),
        className: nowrap,
      },
      { title: t('records_site'), cell: (r) => named(env.sites, r.site_key), className: nowrap },
      { title: t('records_channel'), cell: (r) => channelOf(t, r), className: nowrap },
      { title: t('records_visitor'), cell: visitor },
      { title: t('records_group'), cell: (r) => named(env.groups, r.group_id) },
      { title: t('records_agents'), cell: (r) => agentsOf(env, r) },
      { title: t('records_status'), cell: (r) => statusLabel(t, r.status), className: nowrap },
      { title: t('records_closedBy'), cell: (r) => closedLabel(t, r.closed_by) },
      { title: t('records_rating'), cell: (r) => r.rating, className: 'cs-num' },
      { title: t('records_reception'), cell: (r) => r.reception_minutes, className: 'cs-num' },
    ];
    const here = { ...query, offset: offset ? String(offset) : '' };
    const open = (r) => ctx.navigate(recordHash(r.session_id, here));
    const go = (at) => show(view, listHash({ ...query, offset: at ? String(at) : '' }));
    results.replaceChildren(
      ...(editing ? [batch.bar] : []),
      kit.table(columns, page.items, {
        empty: t('records_empty'),
        onRow: open,
        rowData: (r) => ({ session: r.session_id }),
      }),
      kit.pager(page, go),
    );
  }

  // ---- the section -----------------------------------------------------------------------------

  let current = null;
  const { show: showDialog, close: closeDialog } = kit.dialogSlot(); // a batch's confirmation

  // What the record view (console-records-view.js) uses from here.
  const shared = {
    ...{ context, when, named, agentsOf, statusLabel, closedLabel, listHash, exportFile },
    showDialog,
  };

  /** Shows the list or a record for `hash` ('#records/...') in `container`. */
  function mountView(container, ctx, hash) {
    if (current) current.alive = false;
    const view = { container, ctx, alive: true };
    current = view;
    const parts = hash.replace(/^#/, '').split('/').map(decodeURIComponent).slice(1);
    if (!parts[0] || parts[0][0] === '?') list(view, parseQuery(parts[0]));
    else if (root.ConsoleRecordsView) {
      root.ConsoleRecordsView.show(view, parts[0], parseQuery(parts[1]), shared);
    } else container.replaceChildren(el('p', 'cs-form-error', ctx.t('failed', { message: 404 })));
  }

  kit.register({
    id: 'records',
    title: 'records_nav',
    order: 10,
    probe: 'api/v1/records?limit=1',
    mount(container, ctx) {
      cache = null; // sites, groups and agents anew each time the section opens: they change
      const hash = ['records', ...ctx.route.map(encodeURIComponent)].join('/');
      mountView(container, ctx, `#${hash}`);
    },
    unmount() {
      closeDialog();
      if (current) current.alive = false;
      current = null;
    },
  });
})(typeof self !== 'undefined' ? self : this);
