/* chatflow admin console: statistics (seed 000 數據統計 / 数据分析). Per agent and per group over
 * a date range with a total row, both exportable to Excel and Word. What is happening now (the
 * queue, the agents) is the live monitor's (console-monitor.js). Figures are shown as the API
 * rounded them, and a null (nothing to average) as "—", never 0.
 * API: docs/records-and-stats.md, "Statistics" and "Exports". */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const NONE = '—';
  const FILTERS = ['site', 'group', 'agent'];

  kit.strings({
    'zh-CN': {
      stats_nav: '数据分析',
      stats_title: '数据分析',
      stats_start: '开始日期',
      stats_end: '结束日期',
      stats_site: '站点',
      stats_group: '技能组',
      stats_agent: '客服',
      stats_any: '全部',
      stats_last30: '最近 30 天',
      stats_span: '统计区间：{from} 至 {to}',
      stats_byAgent: '按客服',
      stats_byGroup: '按技能组',
      stats_staffNo: '工号',
      stats_total: '合计',
      stats_conversations: '会话数',
      stats_served: '人工接待数',
      stats_reception: '平均接待时长（分钟）',
      stats_firstResponse: '平均首次响应（秒）',
      stats_ratings: '评价数',
      stats_ratingAverage: '平均评分',
      stats_waitAverage: '平均排队（秒）',
      stats_waitMax: '最长排队（秒）',
      stats_abandoned: '排队放弃',
      stats_noAgents: '此区间内没有客服接待的会话',
      stats_noGroups: '此区间内没有进入技能组的会话',
      stats_excel: '导出 Excel',
      stats_word: '导出 Word',
    },
    en: {
      stats_nav: 'Statistics',
      stats_title: 'Statistics',
      stats_start: 'From',
      stats_end: 'To',
      stats_site: 'Site',
      stats_group: 'Group',
      stats_agent: 'Agent',
      stats_any: 'All',
      stats_last30: 'Last 30 days',
      stats_span: 'Counting from {from} to {to}',
      stats_byAgent: 'By agent',
      stats_byGroup: 'By group',
      stats_staffNo: 'Staff no.',
      stats_total: 'Total',
      stats_conversations: 'Conversations',
      stats_served: 'Served',
      stats_reception: 'Avg. reception (min)',
      stats_firstResponse: 'Avg. first response (s)',
      stats_ratings: 'Ratings',
      stats_ratingAverage: 'Avg. rating',
      stats_waitAverage: 'Avg. queue wait (s)',
      stats_waitMax: 'Longest queue wait (s)',
      stats_abandoned: 'Abandoned',
      stats_noAgents: 'No conversation was served by an agent in this range',
      stats_noGroups: 'No conversation reached a group in this range',
      stats_excel: 'Export Excel',
      stats_word: 'Export Word',
    },
  });

  const missing = (value) => value === null || value === undefined;
  const whole = (value) => (missing(value) ? NONE : String(value));
  /** The API has rounded it to one decimal already: this only writes it so (2 -> "2.0"). */
  const decimal = (value) => (missing(value) ? NONE : Number(value).toFixed(1));
  const pad = (n) => String(n).padStart(2, '0');

  /** An API time as "YYYY-MM-DD hh:mm" in the browser's zone. */
  function moment(iso) {
    const at = new Date(iso);
    return `${kit.localDay(at)} ${pad(at.getHours())}:${pad(at.getMinutes())}`;
  }

  /** The shown section (its context, dates, nodes, timer); `alive` turns false on unmount. */
  let current = null;

  function figureColumns(t) {
    const column = (title, name, cell) => ({ title, className: `cs-num stats-${name}`, cell });
    return [
      column(t('stats_conversations'), 'conversations', (r) => whole(r.conversations)),
      column(t('stats_served'), 'served', (r) => whole(r.served)),
      column(t('stats_reception'), 'reception', (r) => decimal(r.reception_minutes)),
      column(t('stats_firstResponse'), 'first-response', (r) => decimal(r.first_response_seconds)),
      column(t('stats_ratings'), 'ratings', (r) => {
        const node = el('span', '', whole(r.ratings.count));
        const parts = Object.entries(r.ratings.distribution || {}).map(([k, v]) => `${k}★ ${v}`);
        if (parts.length) node.title = parts.join(', ');
        return node;
      }),
      column(t('stats_ratingAverage'), 'rating-average', (r) => decimal(r.ratings.average)),
      column(t('stats_waitAverage'), 'wait-average', (r) => decimal(r.queue_wait_seconds)),
      column(t('stats_waitMax'), 'wait-max', (r) => decimal(r.queue_wait_max_seconds)),
      column(t('stats_abandoned'), 'abandoned', (r) => whole(r.abandoned)),
    ];
  }

  /** A table of `rows` and the total as its last row. */
  function figuresTable(columns, rows, total, empty) {
    const node = kit.table(columns, [...rows, { ...total, isTotal: true }]);
    node.querySelector('tbody tr:last-child').classList.add('cs-total');
    if (!rows.length) node.appendChild(el('p', 'cs-empty', empty));
    return node;
  }

  function agentTable(t, data) {
    const columns = [
      {
        title: t('stats_agent'),
        className: 'stats-who',
        cell: (r) => {
          if (r.isTotal) return t('stats_total');
          return r.nickname ? `${r.nickname} (${r.account})` : r.account;
        },
      },
      { title: t('stats_staffNo'), cell: (r) => r.staff_no || '' },
      ...figureColumns(t),
    ];
    return figuresTable(columns, data.agents, data.total, t('stats_noAgents'));
  }

  function groupTable(t, data) {
    const columns = [
      {
        title: t('stats_group'),
        className: 'stats-who',
        cell: (r) => {
          if (r.isTotal) return t('stats_total');
          return r.name ? `${r.name} (${r.group_id})` : r.group_id;
        },
      },
      ...figureColumns(t),
    ];
    return figuresTable(columns, data.groups, data.total, t('stats_noGroups'));
  }

  /** The statistics routes' query: the dates as local midnights, the filters chosen. */
  function query(s) {
    const params = new URLSearchParams();
    if (s.start) params.set('start', kit.midnight(s.start));
    if (s.end) params.set('end', kit.midnight(s.end, 1));
    for (const name of FILTERS) if (s.els[name].value) params.set(name, s.els[name].value);
    return params;
  }

  async function loadFigures(s) {
    const { api, t, explain } = s.ctx;
    const seq = ++s.seq;
    const params = query(s).toString();
    const suffix = params ? `?${params}` : '';
    const [agents, groups] = await Promise.all([
      api('GET', `api/v1/stats/agents${suffix}`),
      api('GET', `api/v1/stats/groups${suffix}`),
    ]);
    if (!s.alive || seq !== s.seq) return; // a newer choice is on its way
    const failed = [agents, groups].find((result) => !result.ok);
    s.els.error.textContent = failed ? explain(failed) : '';
    if (failed) {
      s.els.byAgent.replaceChildren();
      s.els.byGroup.replaceChildren();
      return;
    }
    s.els.start.value = s.start || kit.localDay(new Date(agents.data.start));
    s.els.end.value = s.end || kit.localDay(new Date(agents.data.end));
    s.els.span.textContent = t('stats_span', {
      from: moment(agents.data.start),
      to: moment(agents.data.end),
    });
    s.els.byAgent.replaceChildren(agentTable(t, agents.data));
    s.els.byGroup.replaceChildren(groupTable(t, groups.data));
  }

  async function exportFile(s, by, format, trigger) {
    const { api, toast, explain } = s.ctx;
    const params = query(s);
    params.set('by', by);
    params.set('format', format);
    params.set('tz', kit.timeZone());
    params.set('lang', s.ctx.lang); // headings for people, in the console's language
    trigger.disabled = true;
    try {
      const result = await kit.download(api, `api/v1/stats/export?${params}`, `stats.${format}`);
      if (!result.ok) toast(explain(result), 'error');
    } finally {
      trigger.disabled = false;
    }
  }

  /** The pickers' choices; what cannot be read stays ids. */
  async function loadChoices(s) {
    const names = await kit.names(s.ctx.api);
    if (!s.alive) return;
    const any = s.ctx.t('stats_any');
    fill(s.els.site, [...names.sites].sort(), any);
    fill(s.els.group, [...names.groups].sort(), any);
    fill(s.els.agent, [...names.agents], any);
  }

  /** `select`'s options: "all" and [value, label] `entries`, keeping the current choice. */
  function fill(select, entries, anyLabel) {
    const chosen = select.value;
    const named = ([value, label]) => [value, value === label ? value : `${label} (${value})`];
    select.replaceChildren(...kit.options([['', anyLabel], ...entries.map(named)]));
    select.value = chosen;
  }

  function picker(s, name, label) {
    const wrap = el('label', '', label);
    const select = el('select', 'cs-input');
    select.dataset.name = name;
    fill(select, [], s.ctx.t('stats_any'));
    select.addEventListener('change', () => loadFigures(s));
    wrap.appendChild(select);
    s.els[name] = select;
    return wrap;
  }

  function dateInput(s, name, label) {
    const wrap = el('label', '', label);
    const input = el('input', 'cs-input');
    input.type = 'date';
    input.dataset.name = name;
    input.addEventListener('change', () => {
      s[name] = input.value;
      loadFigures(s);
    });
    wrap.appendChild(input);
    s.els[name] = input;
    return wrap;
  }

  function figuresPanel(s, by, title) {
    const { t } = s.ctx;
    const box = el('section', `cs-panel stats-by-${by}`);
    const head = el('div', 'cs-toolbar');
    head.appendChild(el('h3', '', title));
    const excel = kit.button('stats-export-xlsx', t('stats_excel'), () =>
      exportFile(s, by, 'xlsx', excel),
    );
    const word = kit.button('stats-export-docx', t('stats_word'), () =>
      exportFile(s, by, 'docx', word),
    );
    head.append(excel, word);
    const body = el('div', 'stats-body', t('loading'));
    box.append(head, body);
    return { box, body };
  }

  function render(s) {
    const { t } = s.ctx;
    s.els = {};
    const bar = el('div', 'cs-toolbar stats-filters');
    bar.append(
      dateInput(s, 'start', t('stats_start')),
      dateInput(s, 'end', t('stats_end')),
      picker(s, 'site', t('stats_site')),
      picker(s, 'group', t('stats_group')),
      picker(s, 'agent', t('stats_agent')),
      kit.button('stats-last30', t('stats_last30'), () => {
        s.start = '';
        s.end = '';
        loadFigures(s);
      }),
    );
    s.els.span = el('p', 'cs-empty stats-span');
    s.els.error = el('p', 'cs-form-error stats-error');
    s.els.error.setAttribute('role', 'alert');
    const byAgent = figuresPanel(s, 'agent', t('stats_byAgent'));
    const byGroup = figuresPanel(s, 'group', t('stats_byGroup'));
    s.els.byAgent = byAgent.body;
    s.els.byGroup = byGroup.body;

    s.container.append(
      el('h2', '', t('stats_title')),
      bar,
      s.els.span,
      s.els.error,
      byAgent.box,
      byGroup.box,
    );
  }

  function stop() {
    if (!current) return;
    current.alive = false;
    current = null;
  }

  kit.register({
    id: 'stats',
    title: 'stats_nav',
    order: 20,
    probe: 'api/v1/stats/groups',
    mount(container, ctx) {
      stop();
      const s = { ctx, container, alive: true, seq: 0, start: '', end: '' };
      current = s;
      render(s);
      loadFigures(s);
      loadChoices(s);
    },
    unmount: stop,
  });
})(typeof self !== 'undefined' ? self : this);
