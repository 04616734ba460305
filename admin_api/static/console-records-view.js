/* chatflow admin console: one service record (#records/<session id>), part of the records
 * section (console-records.js, which calls ConsoleRecordsView.show). Its fields, its exports,
 * and its transcript with the seed's search in it: "match k of n", previous and next (the API
 * wraps around), the current match marked and scrolled into view. A survey's invitation says
 * it is one, with its scale and the rating it recorded. Every text goes in as text; an image
 * line links to its same-origin URL. API: docs/records-and-stats.md. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const visitFacts = (...args) => root.ChatflowAdmin.visitFacts(...args);

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['records_back', '← 返回列表', '← Back to the list'],
    ['records_record', '会话详情', 'Conversation'],
    ['records_session', '会话 ID', 'Session id'],
    ['records_flow', '流程', 'Flow'],
    ['records_queuedAt', '排队时间', 'Queued'],
    ['records_joinedAt', '客服接入', 'Agent joined'],
    ['records_firstReplyAt', '客服首次回复', 'First agent reply'],
    ['records_serviceEndedAt', '人工服务结束', 'Service ended'],
    ['records_endedAt', '会话结束', 'Ended'],
    ['records_firstResponse', '首次响应（秒）', 'First response (s)'],
    ['records_endReason', '结束原因', 'End reason'],
    ['records_endFlow', '流程结束', 'The flow ended'],
    ['records_endIdle', '超时未回复', 'No reply (timed out)'],
    ['records_endAgent', '客服结束', 'Ended by the agent'],
    ['records_endVisitor', '访客结束', 'Ended by the visitor'],
    ['records_endAdmin', '管理员关闭', 'Closed by an admin'],
    ['records_abandoned', '排队放弃', 'Left the queue'],
    ['records_channel', '渠道', 'Channel'],
    ['records_channelWeb', '网页', 'Web'],
    ['records_channelWebhook', '全部 IM 渠道', 'Every IM channel'],
    ['records_yes', '是', 'Yes'],
    ['records_no', '否', 'No'],
    ['records_notFound', '没有这条记录，或此账号无权查看', 'No such record, or this account may not see it'],
    ['records_transcript', '聊天记录', 'Transcript'],
    ['records_visit', '访客来源', 'Where the visitor was'],
    ['records_noLines', '没有消息', 'No messages'],
    ['records_find', '查找', 'Find'],
    ['records_findLabel', '在聊天记录中查找', 'Find in the transcript'],
    ['records_matchOf', '共 {n} 处，第 {k} 处', 'Match {k} of {n}'],
    ['records_noMatch', '没有找到', 'Not found'],
    ['records_image', '查看图片', 'Open the image'],
    ['records_fromVisitor', '访客', 'Visitor'],
    ['records_fromBot', '机器人', 'Bot'],
    ['records_fromAgent', '客服', 'Agent'],
    ['records_fromSystem', '系统', 'System'],
    // a survey's invitation (export_texts.py words it the same in the exports)
    ['records_survey', '满意度评价', 'Satisfaction survey'],
    ['records_surveyHead', '【{survey} · {scale}】', '[{survey} · {scale}] '],
    ['records_surveyStar', '星级 1-{levels}', 'stars 1-{levels}'],
    ['records_surveyNumber', '数字 1-{levels}', 'numbers 1-{levels}'],
    ['records_surveyRating', '评分：{score}/{levels}', 'Rating: {score} of {levels}'],
    ['records_surveyLabel', '（{label}）', ' ({label})'],
    ['records_surveyUnrated', '未评价', 'Not rated'],
    ['records_erase', '删除该访客的数据', "Erase this visitor's data"],
    [
      'records_confirmErase',
      '删除访客 {who} 的全部数据：与其的所有会话（含聊天记录和图片）、资料、标签和黑名单记录。' +
        '此操作无法撤销。',
      'Erase everything kept about visitor {who}: every conversation with it (transcripts and ' +
        'images), its details, tags and blacklist entry. This cannot be undone.',
    ],
    [
      'records_erased',
      '已删除访客 {who} 的数据（会话 {n} 个）',
      'Erased visitor {who}: {n} conversation(s) deleted',
    ],
  ];
  kit.strings(STRINGS);

  const senderLabel = (t, s) =>
    ({
      visitor: t('records_fromVisitor'),
      bot: t('records_fromBot'),
      agent: t('records_fromAgent'),
      system: t('records_fromSystem'),
    })[s] || s;

  // Why a conversation ended (docs/runtime.md, `end_reason`); an unknown value shows as it is.
  const endReasonLabel = (t, r) =>
    ({
      flow: t('records_endFlow'),
      idle: t('records_endIdle'),
      agent: t('records_endAgent'),
      visitor: t('records_endVisitor'),
      admin: t('records_endAdmin'),
    })[r] || r || '';

  // The channel a conversation came through (docs/records-and-stats.md): the web visitor
  // channel, or a webhook/IM channel by its name in chatflow.yaml; unknown (an older record)
  // is blank.
  const channelLabel = (t, r) =>
    r.channel_type === 'web' ? t('records_channelWeb') : r.channel_name || r.channel_key || '';

  /** The record's visit, its webhook channel called by name as in the record's own fields. */
  const visitOf = (r) =>
    r.channel_type === 'webhook' && r.channel_name
      ? { ...r.visit, channel: r.channel_name }
      : r.visit;

  /** The URL of an image line's `[图片] <url>` when it is this deployment's own image. */
  function imageUrl(value, base) {
    if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
    let url;
    try {
      url = new URL(value, location.href);
    } catch (_) {
      return null;
    }
    if (url.origin !== location.origin) return null;
    return url.pathname.startsWith(`${base}api/v1/images/`) ? url.pathname : null;
  }

  /** Puts `text` into `node`; an image line's URL becomes a link to the image. */
  function lineText(node, text, ctx) {
    const image = /^(\[图片\] )(\S+)([\s\S]*)$/.exec(text);
    const url = image ? imageUrl(image[2], ctx.basePath) : null;
    if (!url) {
      node.textContent = text;
      return;
    }
    const link = el('a', 'cs-link', image[2]);
    link.href = url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.title = ctx.t('records_image');
    node.append(document.createTextNode(image[1]), link, document.createTextNode(image[3]));
  }

  /** The current match in `text` as a <mark>: offsets count code points, as the server's do. */
  function markText(node, text, search) {
    const chars = Array.from(text);
    const length = Array.from(search.query).length;
    const at = search.offset || 0;
    node.append(
      document.createTextNode(chars.slice(0, at).join('')),
      el('mark', 'cs-mark', chars.slice(at, at + length).join('')),
      document.createTextNode(chars.slice(at + length).join('')),
    );
  }

  /** What a survey's invitation adds to its prompt: [survey, its scale] before it, the rating
   * it recorded (or "not rated" once the conversation `ended`) after it. */
  function surveyWords(t, survey, ended) {
    const levels = survey.levels;
    const scale =
      survey.style === 'number'
        ? t('records_surveyNumber', { levels })
        : t('records_surveyStar', { levels });
    const head = t('records_surveyHead', { survey: t('records_survey'), scale });
    let tail = null;
    if (survey.rating !== null && survey.rating !== undefined) {
      const score = survey.rating;
      const label = (survey.labels || [])[score - 1];
      tail = t('records_surveyRating', { score, levels });
      if (label) tail += t('records_surveyLabel', { label });
    } else if (ended) tail = t('records_surveyUnrated');
    return { head, tail };
  }

  function line(ctx, env, shared, message, search, ended) {
    const { t } = ctx;
    const row = el('div', `cs-line cs-line-${message.sender}`);
    row.dataset.seq = String(message.seq);
    const time = el('span', 'cs-line-time', shared.when(message.at, ctx.lang, true));
    time.title = shared.when(message.at, ctx.lang);
    const who = [senderLabel(t, message.sender), shared.named(env.agents, message.agent_account)];
    const text = el('span', 'cs-line-text');
    if (search && search.seq === message.seq) {
      row.classList.add('is-current');
      markText(text, message.text, search);
    } else lineText(text, message.text, ctx);
    if (message.survey) {
      const { head, tail } = surveyWords(t, message.survey, ended);
      row.classList.add('cs-line-survey');
      text.prepend(el('span', 'cs-survey-head', head));
      if (tail) text.append(el('span', 'cs-survey-rating', ` → ${tail}`));
    }
    row.append(time, el('span', 'cs-line-who', who.filter(Boolean).join(' ')), text);
    return row;
  }

  function details(ctx, env, shared, r) {
    const { t, lang } = ctx;
    const { when, named } = shared;
    const rows = [
      [t('records_session'), r.session_id],
      [t('records_site'), named(env.sites, r.site_key)],
      [t('records_channel'), channelLabel(t, r)],
      [t('records_visitor'), [r.visitor_name, r.visitor_id].filter(Boolean).join(' · ')],
      [t('records_flow'), r.flow_id],
      [t('records_status'), shared.statusLabel(t, r.status)],
      [t('records_group'), named(env.groups, r.group_id)],
      [t('records_agents'), shared.agentsOf(env, r)],
      [t('records_startedAt'), when(r.started_at, lang)],
      [t('records_queuedAt'), when(r.queued_at, lang)],
      [t('records_joinedAt'), when(r.agent_joined_at, lang)],
      [t('records_firstReplyAt'), when(r.first_agent_reply_at, lang)],
      [t('records_serviceEndedAt'), when(r.service_ended_at, lang)],
      [t('records_endedAt'), when(r.ended_at, lang)],
      [t('records_firstResponse'), r.first_response_seconds],
      [t('records_reception'), r.reception_minutes],
      [t('records_endReason'), endReasonLabel(t, r.end_reason)],
      [t('records_closedBy'), shared.closedLabel(t, r.closed_by)],
      [t('records_rating'), r.rating],
      [t('records_abandoned'), r.abandoned ? t('records_yes') : t('records_no')],
    ];
    const dl = el('dl', 'cs-details');
    for (const [label, value] of rows) {
      dl.append(el('dt', '', label), el('dd', '', value === null || value === '' ? '—' : value));
    }
    return dl;
  }

  /** The button that erases the record's visitor (a request to delete one's personal data),
   * after a confirmation; a refusal (a live conversation) shows in its dialog. */
  function eraseButton(view, shared, record) {
    const { ctx } = view;
    const { t } = ctx;
    const who = kit.visitorName(record.visitor_name, record.visitor_id);
    const erase = async () => {
      const path = `api/v1/visitors/${encodeURIComponent(record.visitor_id)}`;
      const result = await ctx.api('DELETE', path);
      if (!result.ok) return result.status === 409 ? result.message : ctx.explain(result);
      ctx.toast(t('records_erased', { who, n: result.data.conversations }), 'info');
      if (view.alive) ctx.navigate(shared.listHash({}));
      return null;
    };
    const ask = () => {
      const text = t('records_confirmErase', { who });
      shared.showDialog(kit.confirm(t('records_erase'), text, t('records_confirm'), erase));
    };
    return kit.button('cs-records-erase', t('records_erase'), ask);
  }

  /** The search box over the transcript: `render(messages, search)` draws the lines. */
  function finder(view, path, render) {
    const { ctx } = view;
    const { t } = ctx;
    const form = el('form', 'cs-toolbar cs-records-find');
    form.noValidate = true;
    const box = Object.assign(el('input', 'cs-input'), { type: 'search', maxLength: 100 });
    box.setAttribute('aria-label', t('records_findLabel'));
    box.placeholder = t('records_findLabel');
    const go = el('button', 'ui-button ui-primary', t('records_find'));
    go.type = 'submit';
    const counter = el('span', 'cs-records-count');
    counter.setAttribute('role', 'status');
    let q = '';
    let k = 0;
    let n = 0;
    const stepping = (on) => {
      previous.disabled = !on;
      next.disabled = !on;
    };
    const find = async (wanted) => {
      const params = new URLSearchParams({ q, k: String(wanted) });
      const found = await ctx.api('GET', `${path}/transcript?${params}`);
      if (!view.alive) return;
      if (!found.ok) {
        counter.textContent = ctx.explain(found);
        return;
      }
      const search = found.data.search;
      n = search.matches;
      k = search.current;
      counter.textContent = n ? t('records_matchOf', { k, n }) : t('records_noMatch');
      stepping(n > 0);
      render(found.data.messages, n ? search : null);
    };
    const back = () => find(k > 1 ? k - 1 : n);
    const previous = kit.button('cs-records-previous', t('previous'), back);
    const next = kit.button('cs-records-next', t('next'), () => find(k + 1));
    stepping(false);
    form.append(box, go, counter, previous, next);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      q = box.value.trim();
      if (q) {
        find(1);
        return;
      }
      counter.textContent = '';
      stepping(false);
      render(null, null);
    });
    return form;
  }

  /** Shows the record `id`; the back link returns to the list with `query`. */
  async function show(view, id, query, shared) {
    const { ctx, container } = view;
    const { t } = ctx;
    const back = el('a', 'cs-link cs-records-back', t('records_back'));
    back.href = shared.listHash(query);
    const title = el('h2', '', t('records_record'));
    container.replaceChildren(back, title, el('p', 'cs-empty', t('loading')));
    const env = await shared.context(ctx);
    const path = `api/v1/records/${encodeURIComponent(id)}`;
    const answer = env.error ? env.error : await ctx.api('GET', `${path}/transcript`);
    if (!view.alive) return;
    if (!answer.ok) {
      const why = answer.status === 404 ? t('records_notFound') : ctx.explain(answer);
      container.replaceChildren(back, title, el('p', 'cs-form-error', why));
      return;
    }
    const { record, messages } = answer.data;
    const status = el('p', 'cs-form-error cs-records-status');
    status.setAttribute('role', 'alert');
    const exportAs = (format) => () => {
      const params = new URLSearchParams({ format, tz: kit.timeZone(), lang: ctx.lang });
      shared.exportFile(view, `${path}/export?${params}`, status);
    };
    const actions = el('div', 'cs-actions');
    if (ctx.can('exports', 'view')) {
      actions.append(
        kit.button('cs-records-docx', t('records_exportWord'), exportAs('docx')),
        kit.button('cs-records-xlsx', t('records_exportExcel'), exportAs('xlsx')),
      );
    }
    if (ctx.can('records', 'edit')) actions.append(eraseButton(view, shared, record));

    const transcript = el('div', 'cs-transcript');
    // `lines` null: the lines as first loaded, without a match.
    const render = (lines, search) => {
      const shown = lines || messages;
      if (!shown.length) transcript.replaceChildren(el('p', 'cs-empty', t('records_noLines')));
      else {
        const ended = record.status === 'ended';
        const drawn = shown.map((m) => line(ctx, env, shared, m, search, ended));
        transcript.replaceChildren(...drawn);
      }
      const current = transcript.querySelector('.cs-line.is-current');
      if (current) current.scrollIntoView({ block: 'center' });
    };

    const visitor = kit.visitorName(record.visitor_name, record.visitor_id);
    title.textContent = `${t('records_record')} · ${visitor}`;
    container.replaceChildren(
      back,
      title,
      ...(actions.childElementCount ? [actions] : []),
      status,
      details(ctx, env, shared, record),
      ...(record.visit ? [el('h3', '', t('records_visit')), visitFacts(visitOf(record), t)] : []),
      el('h2', '', t('records_transcript')),
      finder(view, path, render),
      transcript,
    );
    render(null, null);
  }

  // the live monitor (console-monitor.js) draws its lines with the same words and links
  root.ConsoleRecordsView = {
    show,
    senderLabel,
    lineText,
    endReasonLabel,
    surveyWords,
    channelLabel,
  };
})(typeof self !== 'undefined' ? self : this);
