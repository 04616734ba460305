/* chatflow admin console: sensitive words (敏感词, seed 001). One tab per kind (forbidden words
 * stop an agent's message, sensitive and reminder words alert supervisors), in the #hash
 * (#words/sensitive); the kind's words with a search and paging; adding several at once (each
 * on its own: the new ones are added, what was there is skipped, a refused one is named with
 * its reason, a line repeating an earlier one is named with that line, and the answer's counts
 * are shown), deleting; and a box that asks the API what
 * the words would do to a text. API: docs/content.md. Every text goes in through textContent
 * or form values. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const WORDS = 'api/v1/sensitive-words';
  const KINDS = ['forbidden', 'sensitive', 'reminder'];
  const PAGE = 50;

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['words_nav', '敏感词', 'Sensitive words'],
    ['words_forbidden', '违禁词', 'Forbidden words'],
    ['words_sensitive', '敏感词', 'Sensitive words'],
    ['words_reminder', '提醒词', 'Reminder words'],
    [
      'words_forbiddenHelp',
      '客服发送的消息含有违禁词时不会发出，客服会看到原因。',
      'An agent’s message that contains one is not sent; the agent is told why.',
    ],
    [
      'words_sensitiveHelp',
      '消息含有敏感词时，实时提醒主管。',
      'Supervisors are alerted in real time when a message contains one.',
    ],
    [
      'words_reminderHelp',
      '访客消息含有提醒词（如 投诉、退款）时，实时提醒主管。',
      'Supervisors are alerted in real time when a visitor writes one (e.g. complaint, refund).',
    ],
    ['words_matching', '匹配时不区分大小写和全角半角。', 'Matching ignores case and full width.'],
    ['words_add', '添加', 'Add'],
    ['words_addLabel', '添加（每行一个）', 'Add words, one per line'],
    ['words_addEmpty', '请至少填写一个词', 'Write at least one word'],
    [
      'words_summary',
      '新增 {added} 个，已存在 {existing} 个（已跳过），无法添加 {refused} 个。',
      'Added {added}, already present {existing} (skipped), refused {refused}.',
    ],
    [
      'words_summaryRepeats',
      '新增 {added} 个，已存在 {existing} 个（已跳过），重复 {duplicates} 个（只算一次），无法添加 {refused} 个。',
      'Added {added}, already present {existing} (skipped), repeated {duplicates} ' +
        '(counted once), refused {refused}.',
    ],
    ['words_duplicates', '重复（只算一次）：', 'Repeated (counted once):'],
    [
      'words_duplicateOne',
      '第 {line} 行「{word}」与第 {first} 行「{earlier}」相同',
      'line {line} “{word}” is line {first} “{earlier}” again',
    ],
    ['words_added', '已添加：{list}', 'Added: {list}'],
    ['words_existing', '已存在，已跳过：{list}', 'Already present, skipped: {list}'],
    ['words_refused', '无法添加：', 'Refused:'],
    ['words_refusedOne', '「{word}」：{why}', '“{word}”: {why}'],
    ['words_blankWord', '（空白）', '(blank)'],
    ['words_q', '搜索', 'Search'],
    ['words_search', '查询', 'Search'],
    ['words_word', '词', 'Word'],
    ['words_createdAt', '添加时间', 'Added'],
    ['words_actions', '操作', 'Actions'],
    ['words_delete', '删除', 'Delete'],
    ['words_deleted', '已删除“{word}”', 'Deleted “{word}”'],
    ['words_empty', '还没有这类词。', 'No words of this kind yet.'],
    ['words_none', '没有符合条件的词。', 'No words match.'],
    ['words_check', '测试文本', 'Test a text'],
    [
      'words_checkHelp',
      '查看一段文字会被如何处理：是否会被拦截，会触发哪些提醒。',
      'See what the words would do to a text: whether it is blocked, which alerts fire.',
    ],
    ['words_text', '文本', 'Text'],
    ['words_sender', '发送方', 'Sent by'],
    ['words_agent', '客服', 'An agent'],
    ['words_visitor', '访客', 'A visitor'],
    ['words_checkRun', '测试', 'Check'],
    ['words_blocked', '会被拦截', 'Blocked'],
    ['words_allowed', '可以发送', 'Allowed'],
    [
      'words_blockedBy',
      '消息不会发出：含有违禁词 {list}',
      'The message would not be sent: it contains the forbidden word {list}',
    ],
    ['words_sent', '消息会正常发出。', 'The message would be sent.'],
    ['words_alerts', '会提醒主管：{list}', 'Supervisors would be alerted: {list}'],
    ['words_noAlerts', '不会触发提醒。', 'No alert would fire.'],
    ['words_alert', '{kind}“{word}”', '{kind} “{word}”'],
  ];
  kit.strings(STRINGS);

  // Labels through literal keys (the string scan finds them).
  const kindName = (t, kind) =>
    ({
      forbidden: t('words_forbidden'),
      sensitive: t('words_sensitive'),
      reminder: t('words_reminder'),
    })[kind] || kind;
  const kindHelp = (t, kind) =>
    ({
      forbidden: t('words_forbiddenHelp'),
      sensitive: t('words_sensitiveHelp'),
      reminder: t('words_reminderHelp'),
    })[kind];
  const quoted = (words) => words.map((word) => `「${word}」`).join(' ');

  function field(label, control) {
    const row = el('label', 'cs-field');
    row.append(el('span', 'cs-field-label', label), control);
    return row;
  }

  function alertRole(node, role) {
    node.setAttribute('role', role);
    return node;
  }

  function mount(container, ctx) {
    const { t, api } = ctx;
    const kind = KINDS.includes(ctx.route[0]) ? ctx.route[0] : 'forbidden';
    const editing = ctx.can('sensitive_words', 'edit');
    const state = { q: '', offset: 0 };
    const results = el('div', 'cs-section', el('p', 'cs-empty', t('loading')));
    const status = alertRole(el('p', 'cs-form-error cs-words-status'), 'alert');

    const tabs = el('div', 'cs-actions cs-words-tabs');
    tabs.setAttribute('role', 'tablist');
    for (const each of KINDS) {
      const tab = kit.button(each === kind ? 'ui-primary' : '', kindName(t, each), () =>
        ctx.navigate(`#words/${each}`),
      );
      tab.setAttribute('role', 'tab');
      tab.setAttribute('aria-selected', String(each === kind));
      tab.dataset.kind = each;
      tabs.appendChild(tab);
    }
    const about = el('p', 'cs-help', `${kindHelp(t, kind)} ${t('words_matching')}`);
    container.replaceChildren(
      el('h2', '', t('words_nav')),
      tabs,
      about,
      ...(editing ? [addForm()] : []),
      searchForm(),
      status,
      results,
      checkForm(),
    );

    function addForm() {
      const form = el('form', 'cs-form cs-words-add');
      form.noValidate = true;
      const lines = el('textarea', 'cs-input');
      lines.rows = 4;
      lines.name = 'words';
      const said = alertRole(el('div', 'cs-words-report'), 'status');
      const go = el('button', 'ui-button ui-primary', t('words_add'));
      go.type = 'submit';
      form.append(field(t('words_addLabel'), lines), go, said);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        said.replaceChildren();
        // Every line but the blank ones is sent, repeats too: the answer accounts for each.
        const sent = lines.value
          .split('\n')
          .map((text, at) => ({ word: text.trim(), line: at + 1 }))
          .filter((each) => each.word);
        const words = sent.map((each) => each.word);
        if (!words.length) {
          said.appendChild(el('p', 'cs-form-error', t('words_addEmpty')));
          return;
        }
        go.disabled = true;
        const result = await api('POST', WORDS, { kind, words });
        go.disabled = false;
        if (!container.isConnected) return;
        if (!result.ok) {
          const errors = (result.data && result.data.errors) || [];
          const why = [ctx.explain(result), ...errors.map((e) => e.message)].join(' ');
          said.appendChild(el('p', 'cs-form-error', why));
          return;
        }
        said.append(...report(result.data, sent));
        // What was refused stays in the box, to be mended and added again.
        lines.value = result.data.refused.map((r) => words[r.index]).join('\n');
        state.offset = 0;
        reload();
      });
      return form;
    }

    /** The answer of an add: the counts, then which words were added, skipped, repeated (by
     * the box's line numbers, ``sent``) and refused. */
    function report(data, sent) {
      const added = data.added.map((w) => w.word);
      const repeats = data.duplicates || [];
      const summary = repeats.length ? t('words_summaryRepeats', data.counts) : null;
      const told = [el('p', 'cs-words-summary', summary || t('words_summary', data.counts))];
      if (added.length) {
        told.push(el('p', 'cs-words-added', t('words_added', { list: added.join('、') })));
      }
      if (data.existing.length) {
        const list = data.existing.join('、');
        told.push(el('p', 'cs-words-existing', t('words_existing', { list })));
      }
      if (repeats.length) {
        const list = el('ul', 'cs-words-duplicates');
        for (const d of repeats) {
          const line = sent[d.index].line;
          const first = sent[d.same_as].line;
          const earlier = sent[d.same_as].word;
          list.appendChild(
            el('li', '', t('words_duplicateOne', { line, word: d.word, first, earlier })),
          );
        }
        told.push(el('p', 'cs-words-duplicates-head', t('words_duplicates')), list);
      }
      if (data.refused.length) {
        const list = el('ul', 'cs-words-refused');
        for (const r of data.refused) {
          const word = r.word || t('words_blankWord');
          list.appendChild(el('li', '', t('words_refusedOne', { word, why: r.message })));
        }
        told.push(el('p', 'cs-form-error', t('words_refused')), list);
      }
      return told;
    }

    function searchForm() {
      const form = el('form', 'cs-toolbar cs-words-filters');
      form.noValidate = true;
      const q = Object.assign(el('input', 'cs-input'), { type: 'search', maxLength: 50 });
      q.name = 'q';
      const label = el('label');
      label.append(el('span', '', t('words_q')), q);
      const go = el('button', 'ui-button', t('words_search'));
      go.type = 'submit';
      form.append(label, go);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        state.q = q.value.trim();
        state.offset = 0;
        reload();
      });
      return form;
    }

    async function reload() {
      const params = new URLSearchParams({ kind, limit: String(PAGE) });
      params.set('offset', String(state.offset));
      if (state.q) params.set('q', state.q);
      const page = await api('GET', `${WORDS}?${params}`);
      if (!container.isConnected) return;
      if (!page.ok) {
        results.replaceChildren(el('p', 'cs-form-error', ctx.explain(page)));
        return;
      }
      if (!page.data.items.length && state.offset > 0) {
        state.offset = Math.max(0, state.offset - PAGE); // the last of its page was deleted
        reload();
        return;
      }
      const columns = [
        { title: t('words_word'), cell: (w) => w.word },
        {
          title: t('words_createdAt'),
          cell: (w) => kit.dateTime(w.created_at, ctx.lang),
          className: 'cs-nowrap',
        },
      ];
      if (editing) {
        columns.push({
          title: t('words_actions'),
          cell: (w) => {
            const button = kit.button('ui-danger', t('words_delete'), () => remove(w));
            button.dataset.action = 'delete';
            return button;
          },
        });
      }
      const empty = state.q ? t('words_none') : t('words_empty');
      const move = (at) => {
        state.offset = at;
        reload();
      };
      const paging = { offset: state.offset, limit: PAGE, total: page.data.total };
      results.replaceChildren(
        kit.table(columns, page.data.items, { empty }),
        kit.pager(paging, move),
      );
    }

    async function remove(word) {
      status.textContent = '';
      const result = await api('DELETE', `${WORDS}/${word.id}`);
      if (!container.isConnected) return;
      if (!result.ok) {
        status.textContent = ctx.explain(result);
        return;
      }
      ctx.toast(t('words_deleted', { word: word.word }));
      reload();
    }

    /** What the API says the words would do to a text sent by an agent or a visitor. */
    function checkForm() {
      const form = el('form', 'cs-panel cs-form cs-words-check');
      form.noValidate = true;
      const text = el('textarea', 'cs-input');
      text.rows = 3;
      text.maxLength = 5000;
      text.name = 'text';
      const sender = kit.select([
        ['agent', t('words_agent')],
        ['visitor', t('words_visitor')],
      ]);
      sender.name = 'sender';
      const go = el('button', 'ui-button', t('words_checkRun'));
      go.type = 'submit';
      const verdict = alertRole(el('div', 'cs-words-verdict'), 'status');
      form.append(
        el('h3', '', t('words_check')),
        el('p', 'cs-help', t('words_checkHelp')),
        field(t('words_text'), text),
        field(t('words_sender'), sender),
        go,
        verdict,
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        go.disabled = true;
        const result = await api('POST', `${WORDS}/check`, {
          text: text.value,
          sender: sender.value,
        });
        go.disabled = false;
        if (!container.isConnected) return;
        const refused = () => [el('p', 'cs-form-error', ctx.explain(result))];
        verdict.replaceChildren(...(result.ok ? said(result.data) : refused()));
      });
      return form;
    }

    function said(data) {
      const blocked = data.blocked.length > 0;
      const badge = blocked
        ? el('span', 'cs-badge cs-badge-off', t('words_blocked'))
        : el('span', 'cs-badge cs-badge-ok', t('words_allowed'));
      const why = blocked ? t('words_blockedBy', { list: quoted(data.blocked) }) : t('words_sent');
      const alerts = data.alerts.map((a) =>
        t('words_alert', { kind: kindName(t, a.kind), word: a.word }),
      );
      const line = el('p', 'cs-words-outcome');
      line.append(badge, ` ${why}`);
      const list = alerts.length
        ? t('words_alerts', { list: alerts.join('、') })
        : t('words_noAlerts');
      return [line, el('p', 'cs-words-alerts', list)];
    }

    reload();
  }

  kit.register({
    id: 'words',
    title: 'words_nav',
    order: 80,
    probe: `${WORDS}?limit=1`,
    mount,
  });
})(typeof self !== 'undefined' ? self : this);
