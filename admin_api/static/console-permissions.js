/* chatflow admin console: permission groups (权限组), over the admin API's /permission-groups
 * (docs/admin-api.md, "Rights" and "Permission groups"): a table of each group's rights and the
 * accounts that use it, a dialog with the features as rows and none / view / edit as a choice per
 * row, and deleting a group, which the API refuses while accounts use it (the refusal names
 * them). What `permission_groups: edit` would be refused is not shown. Every text goes in as
 * text. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const GROUPS = 'api/v1/admin/permission-groups';

  // The features a permission group grants rights on, in their order: admin_api/permissions.py
  // FEATURES (no route lists them; tests/unit/admin_api/test_console_permissions.py keeps the
  // two equal).
  const FEATURES = [
    'accounts',
    'permission_groups',
    'sites',
    'groups',
    'agents',
    'flows',
    'quick_replies',
    'sensitive_words',
    'blacklist',
    'tags',
    'records',
    'statistics',
    'exports',
    'settings',
    'channels',
  ];
  const LEVELS = ['none', 'view', 'edit'];

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['permissions_nav', '权限组', 'Permission groups'],
    ['permissions_new', '新建权限组', 'New permission group'],
    ['permissions_name', '名称', 'Name'],
    ['permissions_rights', '权限', 'Rights'],
    ['permissions_accounts', '使用的账号', 'Used by'],
    ['permissions_actions', '操作', 'Actions'],
    ['permissions_feature', '功能', 'Feature'],
    ['permissions_level_none', '无', 'None'],
    ['permissions_level_view', '查看', 'View'],
    ['permissions_level_edit', '编辑', 'Edit'],
    ['permissions_right', '{feature}：{level}', '{feature}: {level}'],
    ['permissions_no_rights', '没有任何权限', 'No rights'],
    ['permissions_unused', '无', 'None'],
    [
      'permissions_matrix_help',
      '没有查看或编辑权限的功能不能访问；编辑包含查看，建议至少给予查看。提交后，使用此权限组的账号在下一次操作时获得新权限。',
      'A feature with neither view nor edit is not accessible; edit includes view, and at least ' +
        'view is advised. Once the group is saved, the accounts using it get the new rights ' +
        'with their next request.',
    ],
    ['permissions_feature_accounts', '子账号', 'Accounts'],
    ['permissions_feature_permission_groups', '权限组', 'Permission groups'],
    ['permissions_feature_sites', '站点', 'Sites'],
    ['permissions_feature_groups', '客服分组', 'Agent groups'],
    ['permissions_feature_agents', '客服', 'Agents'],
    ['permissions_feature_flows', '流程', 'Flows'],
    ['permissions_feature_quick_replies', '快捷回复', 'Quick replies'],
    ['permissions_feature_sensitive_words', '敏感词', 'Sensitive words'],
    ['permissions_feature_blacklist', '黑名单', 'Blacklist'],
    ['permissions_feature_tags', '标签', 'Tags'],
    ['permissions_feature_records', '服务记录', 'Service records'],
    ['permissions_feature_statistics', '统计', 'Statistics'],
    ['permissions_feature_exports', '导出', 'Exports'],
    ['permissions_feature_settings', '设置（工作台应用）', 'Settings (workbench apps)'],
    ['permissions_feature_channels', '渠道', 'Channels'],
    ['permissions_edit', '编辑', 'Edit'],
    ['permissions_edit_title', '编辑权限组 {name}', 'Edit permission group {name}'],
    ['permissions_delete', '删除', 'Delete'],
    ['permissions_delete_title', '删除权限组 {name}？', 'Delete permission group {name}?'],
    ['permissions_delete_text', '此操作不能撤销。', 'This cannot be undone.'],
    [
      'permissions_in_use',
      '权限组 {name} 仍有账号在使用，不能删除。',
      'Permission group {name} is still used by accounts and cannot be deleted.',
    ],
    ['permissions_in_use_accounts', '使用它的账号：{list}', 'Accounts that use it: {list}'],
    [
      'permissions_in_use_fix',
      '请先在“子账号”中为它们换一个权限组。',
      'Give them another permission group under Accounts first.',
    ],
    ['permissions_created', '权限组 {name} 已创建', 'Permission group {name} created'],
    ['permissions_saved', '权限组 {name} 已保存', 'Permission group {name} saved'],
    ['permissions_deleted', '权限组 {name} 已删除', 'Permission group {name} deleted'],
    [
      'permissions_empty',
      '还没有权限组：创建子账号之前，请先创建一个。',
      'No permission groups yet: create one before creating accounts.',
    ],
    ['permissions_create', '创建', 'Create'],
    ['permissions_save', '保存', 'Save'],
  ];
  kit.strings(STRINGS);

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const actions = kit.actions;

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editing = ctx.can('permission_groups', 'edit');
    const features = {
      accounts: t('permissions_feature_accounts'),
      permission_groups: t('permissions_feature_permission_groups'),
      sites: t('permissions_feature_sites'),
      groups: t('permissions_feature_groups'),
      agents: t('permissions_feature_agents'),
      flows: t('permissions_feature_flows'),
      quick_replies: t('permissions_feature_quick_replies'),
      sensitive_words: t('permissions_feature_sensitive_words'),
      blacklist: t('permissions_feature_blacklist'),
      tags: t('permissions_feature_tags'),
      records: t('permissions_feature_records'),
      statistics: t('permissions_feature_statistics'),
      exports: t('permissions_feature_exports'),
      settings: t('permissions_feature_settings'),
      channels: t('permissions_feature_channels'),
    };
    const levels = {
      none: t('permissions_level_none'),
      view: t('permissions_level_view'),
      edit: t('permissions_level_edit'),
    };
    const path = (group) => `${GROUPS}/${encodeURIComponent(group.id)}`;
    container.appendChild(el('p', 'cs-empty', t('loading')));

    async function reload() {
      const groups = await api('GET', GROUPS);
      if (!container.isConnected) return; // the section was left meanwhile
      if (!groups.ok) {
        container.replaceChildren(el('p', 'cs-form-error', ctx.explain(groups)));
        return;
      }
      const create = () => groupForm(null);
      const items = editing ? [['new', 'ui-primary', t('permissions_new'), create]] : [];
      container.replaceChildren(kit.titleBar(t('permissions_nav'), items), table(groups.data));
    }

    /** A group's rights in the features' order (one the console does not know, as it is). */
    function rights(group) {
      const box = el('div');
      const known = FEATURES.filter((f) => f in group.permissions);
      const others = Object.keys(group.permissions).filter((f) => !FEATURES.includes(f));
      for (const feature of [...known, ...others]) {
        const level = group.permissions[feature];
        const said = { feature: features[feature] || feature, level: levels[level] || level };
        box.appendChild(el('div', '', t('permissions_right', said)));
      }
      if (!box.childNodes.length) {
        box.appendChild(el('span', 'cs-help', t('permissions_no_rights')));
      }
      return box;
    }

    function table(groups) {
      const unused = () => el('span', 'cs-help', t('permissions_unused'));
      const columns = [
        { title: t('permissions_name'), cell: (g) => g.name },
        { title: t('permissions_rights'), cell: rights },
        {
          title: t('permissions_accounts'),
          cell: (g) => (g.accounts.length ? g.accounts.join(', ') : unused()),
        },
      ];
      if (editing) {
        const cell = (g) =>
          actions(
            [
              ['edit', '', t('permissions_edit'), () => groupForm(g)],
              ['delete', 'ui-danger', t('permissions_delete'), () => remove(g)],
            ],
            'cs-row-actions',
          );
        columns.push({ title: t('permissions_actions'), cell });
      }
      return kit.table(columns, groups, { empty: t('permissions_empty') });
    }

    /** Features as rows, none / view / edit as one choice per row; reads as {feature: level}. */
    function matrix(chosen) {
      const radios = [];
      const rows = FEATURES.map((feature) => ({ feature }));
      const cell = (level) => (row) => {
        const radio = el('input');
        radio.type = 'radio';
        radio.name = `cs-right-${row.feature}`;
        radio.dataset.feature = row.feature;
        radio.value = level;
        radio.checked = (chosen[row.feature] || 'none') === level;
        radio.setAttribute('aria-label', `${features[row.feature]}: ${levels[level]}`);
        radios.push(radio);
        return radio;
      };
      const columns = [
        { title: t('permissions_feature'), cell: (row) => features[row.feature] },
        ...LEVELS.map((level) => ({ title: levels[level], cell: cell(level) })),
      ];
      const node = kit.table(columns, rows, { rowData: (row) => ({ feature: row.feature }) });
      const read = () => {
        const chosenNow = radios.filter((r) => r.checked && r.value !== 'none');
        return Object.fromEntries(chosenNow.map((r) => [r.dataset.feature, r.value]));
      };
      return { node, read };
    }

    function groupForm(group) {
      const fields = [
        { name: 'name', label: t('permissions_name'), required: true, maxLength: 64 },
        {
          name: 'permissions',
          label: t('permissions_rights'),
          type: 'custom',
          control: matrix(group ? group.permissions : {}),
          help: t('permissions_matrix_help'),
        },
      ];
      let box = null;
      const submit = async (values) => {
        const result = group
          ? await api('PATCH', path(group), values)
          : await api('POST', GROUPS, values);
        if (!result.ok) return kit.refusal(result, ctx.explain, 'name'); // a taken name at it
        box.close();
        const name = result.data.name;
        ctx.toast(group ? t('permissions_saved', { name }) : t('permissions_created', { name }));
        reload();
        return null;
      };
      const label = group ? t('permissions_save') : t('permissions_create');
      const form = kit.form(fields, group || {}, label, submit);
      const title = group
        ? t('permissions_edit_title', { name: group.name })
        : t('permissions_new');
      box = kit.dialog(title, form);
      show(box);
    }

    function remove(group) {
      const title = t('permissions_delete_title', { name: group.name });
      const text = t('permissions_delete_text');
      const box = kit.confirm(title, text, t('permissions_delete'), async () => {
        const result = await api('DELETE', path(group));
        if (result.ok) {
          ctx.toast(t('permissions_deleted', { name: group.name }));
          reload();
          return null;
        }
        if (result.code === 'permission_group_in_use') return inUse(group, result.data || {});
        return ctx.explain(result);
      });
      show(box);
    }

    /** Why a delete was refused: the accounts that still take their rights from the group. */
    function inUse(group, data) {
      const box = el('div', 'cs-in-use');
      const accounts = Array.isArray(data.accounts) ? data.accounts : [];
      box.appendChild(el('p', '', t('permissions_in_use', { name: group.name })));
      if (accounts.length) {
        const list = accounts.join(', ');
        box.appendChild(el('p', '', t('permissions_in_use_accounts', { list })));
      }
      box.appendChild(el('p', '', t('permissions_in_use_fix')));
      return box;
    }

    reload();
  }

  kit.register({
    id: 'permissions',
    title: 'permissions_nav',
    order: 60,
    probe: GROUPS,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
