/* chatflow admin console: the webhook/IM channels (渠道, docs/webhook-channel.md). A list of the
 * merchant's channels with their deliveries' counts (pending, failed and delivered in the last
 * 24 hours, the last delivery, the last error); a channel's deliveries (#channels/<key>), newest
 * first, filtered by status and conversation, paged, and a Retry button on the failed ones for
 * an account with `channels: edit`. API: docs/admin-api.md, "Webhook channels". Every text goes
 * in through textContent. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const CHANNELS = 'api/v1/channels';
  const PAGE = 50;
  const STATUSES = ['pending', 'delivered', 'failed'];

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['channels_nav', '渠道', 'Channels'],
    [
      'channels_help',
      '每个渠道把会话中的每条消息推送到提供方的地址。数量按最近 24 小时统计；点击一个渠道查看投递记录。',
      'Each channel posts every message of its conversations to the provider. Counts are of ' +
        'the last 24 hours; click a channel to see its deliveries.',
    ],
    [
      'channels_empty',
      '还没有渠道。渠道在 chatflow.yaml 中配置（见 webhook-channel 文档）。',
      'No channels yet. Channels are declared in chatflow.yaml (see the webhook-channel guide).',
    ],
    ['channels_refresh', '刷新', 'Refresh'],
    ['channels_name', '渠道', 'Channel'],
    ['channels_site', '站点', 'Site'],
    ['channels_state', '状态', 'State'],
    ['channels_enabled', '启用', 'Enabled'],
    ['channels_disabled', '停用', 'Disabled'],
    ['channels_origin', '推送地址', 'Webhook host'],
    ['channels_pending', '待发送', 'Pending'],
    ['channels_failed24', '24 小时内失败', 'Failed (24 h)'],
    ['channels_delivered24', '24 小时内送达', 'Delivered (24 h)'],
    ['channels_lastDelivered', '最近送达', 'Last delivered'],
    ['channels_lastError', '最近错误', 'Last error'],
    ['channels_back', '← 全部渠道', '← All channels'],
    ['channels_deliveries', '{name} 的投递记录', 'Deliveries of {name}'],
    ['channels_status', '状态', 'Status'],
    ['channels_any', '全部', 'Any'],
    ['channels_status_pending', '待发送', 'Pending'],
    ['channels_status_delivered', '已送达', 'Delivered'],
    ['channels_status_failed', '失败', 'Failed'],
    ['channels_session', '会话 ID', 'Conversation id'],
    ['channels_search', '查询', 'Search'],
    ['channels_created', '时间', 'Queued'],
    ['channels_seq', '序号', 'Seq'],
    ['channels_type', '消息类型', 'Frame type'],
    ['channels_attempts', '尝试次数', 'Attempts'],
    ['channels_http', 'HTTP 状态', 'HTTP status'],
    ['channels_error', '最近错误', 'Last error'],
    ['channels_deliveredAt', '送达时间', 'Delivered'],
    ['channels_nextAt', '下次尝试 {time}', 'Next try {time}'],
    ['channels_actions', '操作', 'Actions'],
    ['channels_retry', '重新发送', 'Retry'],
    ['channels_retried', '第 {seq} 条已重新排队发送', 'Seq {seq} is queued to be sent again'],
    [
      'channels_retryHelp',
      '重新发送的消息排在该会话尚未发送的消息之前。',
      'A message sent again goes before the conversation’s messages still waiting.',
    ],
    ['channels_noDeliveries', '没有符合条件的投递记录。', 'No deliveries match.'],
    // the frame types (the visitor channel's server frames, docs/widget.md)
    ['channels_frame_message', '消息', 'Message'],
    ['channels_frame_queue', '排队', 'Queue'],
    ['channels_frame_agent_joined', '客服接入', 'Agent joined'],
    ['channels_frame_survey', '满意度调查', 'Survey'],
    ['channels_frame_ended', '结束', 'Ended'],
    ['channels_frame_typing', '正在输入', 'Typing'],
    ['channels_frame_error', '错误', 'Error'],
    // a delivery's last error: its kind in words, the system's detail after it
    ['channels_err_detail', '{kind}：{detail}', '{kind}: {detail}'],
    ['channels_err_status', 'HTTP {status}', 'HTTP {status}'],
    ['channels_err_timeout', '超时', 'Timed out'],
    ['channels_err_refused', '连接被拒绝', 'Connection refused'],
    ['channels_err_blocked', '地址被拦截', 'Address blocked'],
    ['channels_err_private', '地址被拦截（内网地址）', 'Address blocked (private network)'],
    ['channels_err_invalid', '地址无效', 'Invalid URL'],
    ['channels_err_network', '网络错误', 'Network error'],
    ['channels_err_gone', '该渠道已不在配置中', 'The channel is no longer configured'],
  ];
  kit.strings(STRINGS);

  // Labels through literal keys (the string scan finds them).
  const statusLabel = (t, status) =>
    ({
      pending: t('channels_status_pending'),
      delivered: t('channels_status_delivered'),
      failed: t('channels_status_failed'),
    })[status] || status;

  const when = (iso, lang) => kit.dateTime(iso, lang);

  /** A frame type in words; one this page does not know as it is. */
  const frameLabel = (t, type) =>
    ({
      message: t('channels_frame_message'),
      queue: t('channels_frame_queue'),
      agent_joined: t('channels_frame_agent_joined'),
      survey: t('channels_frame_survey'),
      ended: t('channels_frame_ended'),
      typing: t('channels_frame_typing'),
      error: t('channels_frame_error'),
    })[type] || type;

  /**
   * A delivery's last error as the sender wrote it (channels/webhook_http.py: `status 503`,
   * `timeout`, `refused: ...`, `blocked: 10.0.0.1 is private`, `invalid URL: ...`, `error: ...`;
   * channels/webhook_outbox.py: the channel gone) with its kind in words and the detail, the
   * system's own text, after it; an error of another shape as it is.
   */
  function errorWords(t, raw) {
    if (!raw) return '';
    const status = /^status (\d{3})$/.exec(raw);
    if (status) return t('channels_err_status', { status: status[1] });
    if (raw === 'the channel is no longer configured') return t('channels_err_gone');
    const [, head, detail] = /^([a-zA-Z ]+?)(?:: ([\s\S]*))?$/.exec(raw) || [];
    // `blocked: <host> is private` (loopback, link-local, a cloud metadata name...): an inner
    // address; other refusals (a scheme, no host) are only blocked
    const kinds = {
      timeout: 'channels_err_timeout',
      refused: 'channels_err_refused',
      blocked: /^\S+ is /.test(detail || '') ? 'channels_err_private' : 'channels_err_blocked',
      'invalid URL': 'channels_err_invalid',
      error: 'channels_err_network',
    };
    if (!Object.hasOwn(kinds, head)) return raw;
    const kind = t(kinds[head]);
    return detail ? t('channels_err_detail', { kind, detail }) : kind;
  }

  /** The last error in a cell (two lines at most, console.css); the whole text in its tooltip. */
  function errorCell(t, raw) {
    if (!raw) return '';
    const node = el('span', 'cf-error-text', errorWords(t, raw));
    node.title = raw;
    return node;
  }

  function frameCell(t, type) {
    const node = el('span', 'cs-nowrap', frameLabel(t, type));
    node.title = type;
    return node;
  }

  function badge(text, tone) {
    return el('span', `cs-badge${tone ? ` ${tone}` : ''}`, text);
  }

  const statusTone = { delivered: 'cs-badge-ok', failed: 'cs-badge-off' };

  function mount(container, ctx) {
    const key = ctx.route[0];
    container.replaceChildren(el('p', 'cs-empty', ctx.t('loading')));
    if (key) deliveries(container, ctx, key);
    else channels(container, ctx);
  }

  // ---- the list ------------------------------------------------------------------------------

  async function channels(container, ctx) {
    const { t, api } = ctx;
    const found = await api('GET', CHANNELS);
    if (!container.isConnected) return; // the section was left meanwhile
    if (!found.ok) {
      container.replaceChildren(el('p', 'cs-form-error', ctx.explain(found)));
      return;
    }
    const refresh = () => channels(container, ctx);
    const columns = [
      {
        title: t('channels_name'),
        cell: (c) => {
          const cell = el('span', 'cf-channel-name', c.name || c.key);
          if (c.name) cell.title = c.key;
          return cell;
        },
      },
      { title: t('channels_site'), cell: (c) => c.site_key },
      {
        title: t('channels_state'),
        cell: (c) =>
          c.enabled
            ? badge(t('channels_enabled'), 'cs-badge-ok')
            : badge(t('channels_disabled'), 'cs-badge-off'),
      },
      { title: t('channels_origin'), cell: (c) => c.webhook_origin },
      { title: t('channels_pending'), cell: (c) => c.pending, className: 'cs-num' },
      {
        title: t('channels_failed24'),
        className: 'cs-num',
        cell: (c) => (c.failed_24h ? badge(String(c.failed_24h), 'cs-badge-off') : '0'),
      },
      { title: t('channels_delivered24'), cell: (c) => c.delivered_24h, className: 'cs-num' },
      { title: t('channels_lastDelivered'), cell: (c) => when(c.last_delivered_at, ctx.lang) },
      {
        title: t('channels_lastError'),
        cell: (c) => errorCell(t, c.last_error),
        className: 'cf-error',
      },
    ];
    container.replaceChildren(
      kit.titleBar(t('channels_nav'), [['refresh', '', t('channels_refresh'), refresh]]),
      el('p', 'cs-help', t('channels_help')),
      kit.table(columns, found.data, {
        empty: t('channels_empty'),
        onRow: (c) => ctx.navigate(`#channels/${encodeURIComponent(c.key)}`),
        rowData: (c) => ({ channel: c.key }),
      }),
    );
  }

  // ---- one channel's deliveries ---------------------------------------------------------------

  async function deliveries(container, ctx, key) {
    const { t, api } = ctx;
    const state = { status: '', session: '', offset: 0 };
    const listed = await api('GET', CHANNELS);
    if (!container.isConnected) return;
    const channel = listed.ok ? listed.data.find((c) => c.key === key) : null;
    const name = channel ? channel.name || channel.key : key;
    const results = el('div', 'cf-deliveries');
    results.appendChild(el('p', 'cs-empty', t('loading')));
    const back = kit.button('cf-back', t('channels_back'), () => ctx.navigate('#channels'));
    back.dataset.action = 'back';
    const editing = ctx.can('channels', 'edit');
    container.replaceChildren(
      back,
      kit.titleBar(t('channels_deliveries', { name }), [
        ['refresh', '', t('channels_refresh'), () => load()],
      ]),
      ...(editing ? [el('p', 'cs-help', t('channels_retryHelp'))] : []),
      filters(),
      results,
    );
    load();

    function filters() {
      const form = el('form', 'cs-toolbar cf-filters');
      form.noValidate = true;
      const pairs = [['', t('channels_any')], ...STATUSES.map((s) => [s, statusLabel(t, s)])];
      const status = kit.select(pairs, state.status);
      status.name = 'status';
      const session = Object.assign(el('input', 'cs-input'), { type: 'search', name: 'session' });
      session.maxLength = 64;
      const label = (text, control) => {
        const row = el('label');
        row.append(el('span', '', text), control);
        return row;
      };
      const go = el('button', 'ui-button ui-primary', t('channels_search'));
      go.type = 'submit';
      form.append(label(t('channels_status'), status), label(t('channels_session'), session), go);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        Object.assign(state, { status: status.value, session: session.value.trim(), offset: 0 });
        load();
      });
      return form;
    }

    async function load() {
      const params = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) });
      if (state.status) params.set('status', state.status);
      if (state.session) params.set('session_id', state.session);
      const path = `${CHANNELS}/${encodeURIComponent(key)}/deliveries?${params}`;
      const page = await api('GET', path);
      if (!container.isConnected) return;
      if (!page.ok) {
        results.replaceChildren(el('p', 'cs-form-error', ctx.explain(page)));
        return;
      }
      const go = (offset) => {
        state.offset = offset;
        load();
      };
      results.replaceChildren(
        kit.table(columns(), page.data.items, {
          empty: t('channels_noDeliveries'),
          rowData: (d) => ({ delivery: String(d.id), status: d.status }),
        }),
        kit.pager(page.data, go),
      );
    }

    function sessionCell(d) {
      const short = d.session_id.slice(0, 8);
      const records = ctx.can('records', 'view'); // the conversation's record, where allowed
      const node = el(records ? 'a' : 'span', 'cf-session', short);
      if (records) node.href = `#records/${encodeURIComponent(d.session_id)}`;
      node.title = d.session_id;
      return node;
    }

    function columns() {
      const list = [
        { title: t('channels_created'), cell: (d) => when(d.created_at, ctx.lang) },
        { title: t('channels_session'), cell: sessionCell },
        { title: t('channels_seq'), cell: (d) => d.seq, className: 'cs-num' },
        { title: t('channels_type'), cell: (d) => frameCell(t, d.frame_type) },
        {
          title: t('channels_status'),
          cell: (d) => badge(statusLabel(t, d.status), statusTone[d.status]),
        },
        { title: t('channels_attempts'), cell: (d) => d.attempts, className: 'cs-num' },
        { title: t('channels_http'), cell: (d) => d.last_status ?? '' },
        {
          title: t('channels_error'),
          cell: (d) => errorCell(t, d.last_error),
          className: 'cf-error',
        },
        {
          title: t('channels_deliveredAt'),
          cell: (d) =>
            d.next_attempt_at
              ? t('channels_nextAt', { time: when(d.next_attempt_at, ctx.lang) })
              : when(d.delivered_at, ctx.lang),
        },
      ];
      if (editing) list.push({ title: t('channels_actions'), cell: retryCell });
      return list;
    }

    function retryCell(d) {
      if (d.status !== 'failed') return '';
      const run = async () => {
        node.disabled = true;
        const path = `${CHANNELS}/${encodeURIComponent(key)}/deliveries/${d.id}/retry`;
        const result = await api('POST', path);
        if (result.ok) ctx.toast(t('channels_retried', { seq: d.seq }));
        else ctx.toast(ctx.explain(result), 'error');
        if (container.isConnected) load();
      };
      const node = kit.button('cf-retry', t('channels_retry'), run);
      node.dataset.action = 'retry';
      return node;
    }
  }

  root.ConsoleChannels = { frameLabel, errorWords }; // for the unit tests

  kit.register({
    id: 'channels',
    title: 'channels_nav',
    order: 45,
    probe: CHANNELS,
    mount,
  });
})(typeof self !== 'undefined' ? self : this);
