/* chatflow admin console: workbench apps (工作台应用; seed 004 来电弹屏): the third-party pages,
 * a CRM or a ticket system, the agent workbench shows beside the conversation. A table, add and
 * edit dialogs, enabling and disabling, deleting after a confirmation. At most 10 apps; HTTPS
 * only (HTTP on this machine, for development): the API says which rule a URL breaks and the
 * form shows it under the field. API: docs/admin-api.md. Every text goes in through
 * textContent or form values; a link's address is the API's checked https/http URL. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const APPS = 'api/v1/admin/workbench-apps';
  const LIMIT = 10; // the API's too_many says its own limit; this one words the help
  const SHORT = 60; // characters of a URL shown in the table (the whole one in its title)

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['apps_nav', '工作台应用', 'Workbench apps'],
    [
      'apps_help',
      '在客服工作台右侧以标签页嵌入的业务系统页面（如 CRM、工单系统）。为了数据安全，仅支持 ' +
        'HTTPS 地址（本机开发时 localhost 和 127.0.0.1 也可用 HTTP）；最多 {limit} 个，停用的' +
        '不在工作台显示。',
      'Pages of your own systems (a CRM, a ticket system) that the agent workbench shows as tabs ' +
        'in its right column. For the safety of your data, HTTPS addresses only (HTTP too on ' +
        'localhost and 127.0.0.1, while you develop); at most {limit}; disabled ones are not ' +
        'shown in the workbench.',
    ],
    ['apps_count', '已添加 {n} 个，最多 {limit} 个', '{n} of at most {limit}'],
    ['apps_new', '添加应用', 'Add app'],
    ['apps_name', '名称', 'Name'],
    ['apps_nameHelp', '工作台标签页上显示的名称，最多 20 个字', "The tab's title, 20 characters at most"],
    ['apps_url', 'URL', 'URL'],
    [
      'apps_urlHelp',
      '页面的完整 HTTPS 地址，即浏览器地址栏中显示的地址',
      "The page's full HTTPS address, as the browser's address bar shows it",
    ],
    ['apps_enabled', '启用', 'Enabled'],
    ['apps_enabledHelp', '启用后在客服工作台显示', 'Shown in the agent workbench'],
    ['apps_status', '状态', 'Status'],
    ['apps_on', '已启用', 'Enabled'],
    ['apps_off', '已停用', 'Disabled'],
    ['apps_updated', '更新时间', 'Updated'],
    ['apps_actions', '操作', 'Actions'],
    ['apps_edit', '编辑', 'Edit'],
    ['apps_editTitle', '编辑应用“{name}”', 'Edit the app “{name}”'],
    ['apps_enable', '启用', 'Enable'],
    ['apps_disable', '停用', 'Disable'],
    ['apps_delete', '删除', 'Delete'],
    ['apps_deleteTitle', '删除应用“{name}”？', 'Delete the app “{name}”?'],
    [
      'apps_deleteText',
      '客服工作台将不再显示它。此操作不能撤销。',
      'The agent workbench stops showing it. This cannot be undone.',
    ],
    ['apps_required', '请填写', 'Required'],
    ['apps_taken', '已有名为“{name}”的应用', 'There is already an app named “{name}”'],
    [
      'apps_tooMany',
      '最多只能添加 {limit} 个应用：请先删除一个。',
      'You can add at most {limit} apps: delete one first.',
    ],
    ['apps_empty', '还没有工作台应用。', 'No workbench apps yet.'],
    ['apps_created', '应用“{name}”已添加', 'App “{name}” added'],
    ['apps_saved', '应用“{name}”已保存', 'App “{name}” saved'],
    ['apps_enabledDone', '应用“{name}”已启用', 'App “{name}” enabled'],
    ['apps_disabledDone', '应用“{name}”已停用', 'App “{name}” disabled'],
    ['apps_deleted', '应用“{name}”已删除', 'App “{name}” deleted'],
    ['apps_create', '添加', 'Add'],
    ['apps_save', '保存', 'Save'],
  ];
  kit.strings(STRINGS);

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const actions = kit.actions;

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editing = ctx.can('settings', 'edit'); // a view-only account gets no buttons
    const count = el('p', 'cs-help');
    const results = el('div', 'cs-section', el('p', 'cs-empty', t('loading')));
    const items = editing ? [['new', 'ui-primary', t('apps_new'), () => appForm(null)]] : [];
    const bar = kit.titleBar(t('apps_nav'), items);
    const help = el('p', 'cs-help', t('apps_help', { limit: LIMIT }));
    container.replaceChildren(bar, help, count, results);

    const done = (text) => {
      closeDialog();
      ctx.toast(text);
      if (container.isConnected) reload();
      return null;
    };

    async function reload() {
      const apps = await api('GET', APPS);
      if (!container.isConnected) return; // the section was left meanwhile
      if (!apps.ok) {
        results.replaceChildren(el('p', 'cs-form-error', ctx.explain(apps)));
        return;
      }
      count.textContent = t('apps_count', { n: apps.data.length, limit: LIMIT });
      results.replaceChildren(table(apps.data));
    }

    function table(apps) {
      const columns = [
        { title: t('apps_name'), cell: (a) => a.name },
        { title: t('apps_url'), cell: link },
        { title: t('apps_status'), cell: status },
        {
          title: t('apps_updated'),
          cell: (a) => kit.dateTime(a.updated_at, ctx.lang),
          className: 'cs-nowrap',
        },
      ];
      if (editing) columns.push({ title: t('apps_actions'), cell: appActions });
      const rowData = (a) => ({ app: String(a.id) });
      return kit.table(columns, apps, { empty: t('apps_empty'), rowData });
    }

    /** The URL, shortened, as a link opening in a new tab (the API allows only http(s)). */
    function link(app) {
      const text = app.url.length > SHORT ? `${app.url.slice(0, SHORT)}…` : app.url;
      if (!/^https?:\/\//i.test(app.url)) return el('code', '', text);
      const node = el('a', '', text);
      node.href = app.url;
      node.target = '_blank';
      node.rel = 'noopener noreferrer';
      node.title = app.url;
      return node;
    }

    function status(app) {
      const on = app.enabled;
      const label = on ? t('apps_on') : t('apps_off');
      return el('span', `cs-badge ${on ? 'cs-badge-ok' : 'cs-badge-off'}`, label);
    }

    function appActions(app) {
      const toggle = app.enabled
        ? ['disable', '', t('apps_disable'), () => setEnabled(app, false)]
        : ['enable', '', t('apps_enable'), () => setEnabled(app, true)];
      return actions(
        [
          ['edit', '', t('apps_edit'), () => appForm(app)],
          toggle,
          ['delete', 'ui-danger', t('apps_delete'), () => remove(app)],
        ],
        'cs-row-actions',
      );
    }

    /** What the form shows for a refusal: the limit and a taken name in the page's words. */
    function refusal(result, name) {
      if (result.status === 409 && result.code === 'too_many') {
        const limit = (result.data && result.data.limit) || LIMIT;
        return { message: t('apps_tooMany', { limit }) };
      }
      if (result.status === 409 && result.code === 'conflict') {
        return { errors: [{ path: 'name', message: t('apps_taken', { name }) }] };
      }
      return kit.refusal(result, ctx.explain);
    }

    function appForm(app) {
      const fields = [
        {
          name: 'name',
          label: t('apps_name'),
          required: true,
          maxLength: 20,
          help: t('apps_nameHelp'),
        },
        {
          name: 'url',
          label: t('apps_url'),
          type: 'url',
          required: true,
          maxLength: 2048,
          help: t('apps_urlHelp'),
        },
        {
          name: 'enabled',
          label: t('apps_enabled'),
          type: 'checkbox',
          help: t('apps_enabledHelp'),
        },
      ];
      const submit = async (values) => {
        const missing = ['name', 'url'].filter((name) => !values[name]);
        if (missing.length) {
          return { errors: missing.map((path) => ({ path, message: t('apps_required') })) };
        }
        const body = { name: values.name, url: values.url, enabled: values.enabled };
        const result = app
          ? await api('PATCH', `${APPS}/${app.id}`, body)
          : await api('POST', APPS, body);
        if (!result.ok) return refusal(result, values.name);
        const name = result.data.name;
        return done(app ? t('apps_saved', { name }) : t('apps_created', { name }));
      };
      const starting = app || { enabled: true };
      const label = app ? t('apps_save') : t('apps_create');
      const form = kit.form(fields, starting, label, submit);
      show(kit.dialog(app ? t('apps_editTitle', { name: app.name }) : t('apps_new'), form));
    }

    async function setEnabled(app, enabled) {
      const result = await api('PATCH', `${APPS}/${app.id}`, { enabled });
      if (!container.isConnected) return;
      if (!result.ok) {
        ctx.toast(ctx.explain(result), 'error');
        return;
      }
      const name = result.data.name;
      done(enabled ? t('apps_enabledDone', { name }) : t('apps_disabledDone', { name }));
    }

    function remove(app) {
      const title = t('apps_deleteTitle', { name: app.name });
      const box = kit.confirm(title, t('apps_deleteText'), t('apps_delete'), async () => {
        const result = await api('DELETE', `${APPS}/${app.id}`);
        if (!result.ok) return ctx.explain(result);
        return done(t('apps_deleted', { name: app.name }));
      });
      show(box);
    }

    reload();
  }

  kit.register({
    id: 'apps',
    title: 'apps_nav',
    order: 35,
    probe: APPS,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
