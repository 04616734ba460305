/* chatflow admin console: quick replies (快捷回复, seeds 000/001/004). The account's personal
 * replies and the team's, grouped by category, with a search and a category filter; create, edit
 * and delete (team replies only with quick_replies: edit, personal ones always the owner's); the
 * CSV/XLSX bulk import with its report per row, and the template. API: docs/content.md. Every
 * text goes in through textContent or form values. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const REPLIES = 'api/v1/quick-replies';
  const PAGE = 100;
  const SHORT = 160; // characters of a long content shown in the list (all of it on hover)

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['replies_nav', '快捷回复', 'Quick replies'],
    ['replies_new', '新建快捷回复', 'New reply'],
    ['replies_import', '批量导入', 'Import'],
    ['replies_template', '下载导入模板', 'Download the template'],
    ['replies_q', '搜索', 'Search'],
    ['replies_qHint', '分组、标题或内容', 'Category, title or content'],
    ['replies_category', '分组', 'Category'],
    ['replies_categoryHelp', '如 常用语、致歉语；留空为未分组', 'e.g. Greetings; empty: none'],
    ['replies_any', '全部', 'Any'],
    ['replies_uncategorised', '未分组', 'Uncategorised'],
    ['replies_scope', '类型', 'Kind'],
    ['replies_personal', '个人', 'Personal'],
    ['replies_team', '团队', 'Team'],
    ['replies_personalHelp', '个人快捷回复只有您自己能看到和使用。', 'Only you see and use them.'],
    [
      'replies_scopeHelp',
      '团队快捷回复全体客服共用；个人快捷回复只有您自己可见。',
      'Team replies are shared by every agent; personal ones only you see.',
    ],
    ['replies_search', '查询', 'Search'],
    ['replies_reset', '重置', 'Reset'],
    ['replies_title', '标题', 'Title'],
    ['replies_content', '内容', 'Content'],
    ['replies_updated', '更新时间', 'Updated'],
    ['replies_actions', '操作', 'Actions'],
    ['replies_edit', '编辑', 'Edit'],
    ['replies_editTitle', '编辑快捷回复“{title}”', 'Edit the reply “{title}”'],
    ['replies_delete', '删除', 'Delete'],
    ['replies_deleteTitle', '删除快捷回复“{title}”？', 'Delete the reply “{title}”?'],
    ['replies_deleteText', '删除后无法恢复。', 'This cannot be undone.'],
    ['replies_deleted', '快捷回复“{title}”已删除', 'Reply “{title}” deleted'],
    ['replies_created', '快捷回复“{title}”已创建', 'Reply “{title}” created'],
    ['replies_saved', '快捷回复“{title}”已保存', 'Reply “{title}” saved'],
    ['replies_group', '{scope} · {category}（{n}）', '{scope} · {category} ({n})'],
    ['replies_empty', '没有快捷回复。', 'No quick replies.'],
    ['replies_none', '没有符合条件的快捷回复。', 'No quick replies match.'],
    ['replies_create', '创建', 'Create'],
    ['replies_save', '保存', 'Save'],
  ];
  kit.strings(STRINGS);

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const actions = kit.actions;

  function labelled(label, control) {
    const row = el('label');
    row.append(el('span', '', label), control);
    return row;
  }

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editTeam = ctx.can('quick_replies', 'edit');
    const scopes = { personal: t('replies_personal'), team: t('replies_team') };
    // The category filter: '' any, '=<name>' one category ('=' the uncategorised).
    const filter = { q: '', category: '', scope: '', offset: 0 };
    let categories = [];

    const status = el('p', 'cs-form-error');
    status.setAttribute('role', 'alert');
    const results = el('div', 'cs-section', el('p', 'cs-empty', t('loading')));
    const q = Object.assign(el('input', 'cs-input'), { type: 'search', maxLength: 100 });
    q.name = 'q';
    q.placeholder = t('replies_qHint');
    const category = kit.select([['', t('replies_any')]]);
    category.name = 'category';
    const scope = kit.select([
      ['', t('replies_any')],
      ['personal', scopes.personal],
      ['team', scopes.team],
    ]);
    scope.name = 'scope';
    const form = el('form', 'cs-toolbar cs-replies-filters');
    form.noValidate = true;
    const go = el('button', 'ui-button ui-primary', t('replies_search'));
    go.type = 'submit';
    const reset = kit.button('', t('replies_reset'), () => {
      q.value = category.value = scope.value = '';
      search();
    });
    form.append(
      labelled(t('replies_q'), q),
      labelled(t('replies_category'), category),
      labelled(t('replies_scope'), scope),
      go,
      reset,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      search();
    });
    const bar = kit.titleBar(t('replies_nav'), [
      ['new', 'ui-primary', t('replies_new'), () => replyForm(null)],
      ...(root.ConsoleRepliesImport ? [['import', '', t('replies_import'), importForm]] : []),
      ['template', '', t('replies_template'), template],
    ]);
    container.replaceChildren(bar, form, status, results);

    function search() {
      Object.assign(filter, { q: q.value.trim(), category: category.value, scope: scope.value });
      filter.offset = 0;
      reload();
    }

    async function template() {
      status.textContent = '';
      const result = await kit.download(api, `${REPLIES}/template.csv`, 'quick-replies.csv');
      if (!result.ok && container.isConnected) status.textContent = ctx.explain(result);
    }

    /** Draws the page of replies; `written` (a reply was added, changed or deleted, or this is
     * the first drawing): reads the categories again too, which a search or a page turn keeps. */
    async function reload(written) {
      const params = new URLSearchParams({ limit: String(PAGE), offset: String(filter.offset) });
      if (filter.q) params.set('q', filter.q);
      if (filter.scope) params.set('scope', filter.scope);
      if (filter.category) params.set('category', filter.category.slice(1));
      const [page, cats] = await Promise.all([
        api('GET', `${REPLIES}?${params}`),
        written ? api('GET', `${REPLIES}/categories`) : null,
      ]);
      if (!container.isConnected) return;
      if (cats && cats.ok) fillCategories(cats.data);
      if (!page.ok) {
        results.replaceChildren(el('p', 'cs-form-error', ctx.explain(page)));
        return;
      }
      if (!page.data.items.length && filter.offset > 0) {
        filter.offset = Math.max(0, filter.offset - PAGE); // the last of its page was deleted
        reload();
        return;
      }
      const filtered = filter.q || filter.category || filter.scope;
      const none = el('p', 'cs-empty', filtered ? t('replies_none') : t('replies_empty'));
      const move = (at) => {
        filter.offset = at;
        reload();
      };
      const paging = { offset: filter.offset, limit: PAGE, total: page.data.total };
      results.replaceChildren(
        ...(page.data.items.length ? groups(page.data.items) : [none]),
        kit.pager(paging, move),
      );
    }

    /** The category choices: every category of either kind, once; the current one kept. */
    function fillCategories(rows) {
      categories = [...new Set(rows.map((row) => row.category).filter(Boolean))].sort();
      const chosen = category.value;
      const pairs = [
        ['', t('replies_any')],
        ['=', t('replies_uncategorised')],
        ...categories.map((name) => [`=${name}`, name]),
      ];
      if (chosen && !pairs.some(([key]) => key === chosen)) pairs.push([chosen, chosen.slice(1)]);
      category.replaceChildren(...kit.options(pairs));
      category.value = chosen;
    }

    /** The page's replies as one table per kind and category, in the API's order. */
    function groups(items) {
      const runs = [];
      for (const reply of items) {
        const last = runs[runs.length - 1];
        if (last && last.scope === reply.scope && last.category === reply.category) {
          last.items.push(reply);
        } else runs.push({ scope: reply.scope, category: reply.category, items: [reply] });
      }
      return runs.map((run) => {
        const box = el('div', 'cs-panel cs-replies-group');
        const name = run.category || t('replies_uncategorised');
        const vars = { scope: scopes[run.scope], category: name, n: run.items.length };
        box.append(el('h3', '', t('replies_group', vars)), table(run.items));
        return box;
      });
    }

    function table(items) {
      const mayEdit = (r) => r.scope === 'personal' || editTeam;
      const columns = [
        { title: t('replies_title'), cell: (r) => r.title },
        { title: t('replies_content'), cell: content },
        {
          title: t('replies_updated'),
          cell: (r) => kit.dateTime(r.updated_at, ctx.lang),
          className: 'cs-nowrap',
        },
      ];
      if (items.some(mayEdit)) {
        columns.push({
          title: t('replies_actions'),
          cell: (r) =>
            mayEdit(r)
              ? actions(
                  [
                    ['edit', '', t('replies_edit'), () => replyForm(r)],
                    ['delete', 'ui-danger', t('replies_delete'), () => remove(r)],
                  ],
                  'cs-row-actions',
                )
              : '',
        });
      }
      return kit.table(columns, items, { rowData: (r) => ({ reply: r.id }) });
    }

    function content(reply) {
      const long = reply.content.length > SHORT;
      const text = long ? `${reply.content.slice(0, SHORT)}…` : reply.content;
      const cell = el('div', 'cs-line-text', text);
      if (long) cell.title = reply.content;
      return cell;
    }

    function replyForm(reply) {
      const fields = [
        {
          name: 'category',
          label: t('replies_category'),
          maxLength: 32,
          help: t('replies_categoryHelp'),
        },
        { name: 'title', label: t('replies_title'), required: true, maxLength: 64 },
        {
          name: 'content',
          label: t('replies_content'),
          type: 'textarea',
          rows: 6,
          required: true,
          maxLength: 2000,
        },
      ];
      if (!reply && editTeam) {
        const options = [
          { value: 'team', label: scopes.team },
          { value: 'personal', label: scopes.personal },
        ];
        const help = t('replies_scopeHelp');
        fields.unshift({ name: 'scope', label: t('replies_scope'), type: 'select', options, help });
      }
      const submit = async (values) => {
        const body = { category: values.category, title: values.title, content: values.content };
        if (!reply) body.scope = editTeam ? values.scope : 'personal';
        const result = reply
          ? await api('PATCH', `${REPLIES}/${reply.id}`, body)
          : await api('POST', REPLIES, body);
        if (!result.ok) return kit.refusal(result, ctx.explain);
        closeDialog();
        const title = result.data.title;
        ctx.toast(reply ? t('replies_saved', { title }) : t('replies_created', { title }));
        if (container.isConnected) reload(true);
        return null;
      };
      const starting = reply || { scope: 'team', category: categoryChosen() };
      const label = reply ? t('replies_save') : t('replies_create');
      const node = kit.form(fields, starting, label, submit);
      if (!reply && !editTeam) node.prepend(el('p', 'cs-help', t('replies_personalHelp')));
      suggestCategories(node);
      const title = reply ? t('replies_editTitle', { title: reply.title }) : t('replies_new');
      show(kit.dialog(title, node));
    }

    /** The category filtered on, as a new reply's starting category. */
    function categoryChosen() {
      return filter.category.length > 1 ? filter.category.slice(1) : '';
    }

    /** The known categories as the category field's suggestions. */
    function suggestCategories(node) {
      const input = node.querySelector('[data-name="category"]');
      const list = el('datalist');
      list.id = 'cs-replies-categories';
      for (const name of categories) list.appendChild(Object.assign(el('option'), { value: name }));
      input.setAttribute('list', list.id);
      input.after(list);
    }

    function remove(reply) {
      const title = t('replies_deleteTitle', { title: reply.title });
      const box = kit.confirm(title, t('replies_deleteText'), t('replies_delete'), async () => {
        const result = await api('DELETE', `${REPLIES}/${reply.id}`);
        if (!result.ok) return ctx.explain(result);
        ctx.toast(t('replies_deleted', { title: reply.title }));
        if (container.isConnected) reload(true);
        return null;
      });
      show(box);
    }

    /** The bulk import (console-replies-import.js): the list reloads after an import. */
    function importForm() {
      const imported = () => {
        if (container.isConnected) reload(true);
      };
      const options = { editTeam, scopes, template, imported };
      const { title, body } = root.ConsoleRepliesImport.form(ctx, options);
      show(kit.dialog(title, body));
    }

    reload(true);
  }

  kit.register({
    id: 'replies',
    title: 'replies_nav',
    order: 70,
    probe: `${REPLIES}?limit=1`,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
