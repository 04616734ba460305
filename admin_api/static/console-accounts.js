/* chatflow admin console: sub-accounts (子帐号), over the admin API's /accounts
 * (docs/admin-api.md, "Sub-accounts"): a table with each account's role, permission group,
 * agent groups and scopes; disabling (every sign-in of it ends at once), enabling, and deleting a
 * disabled account. The create, edit and password dialogs are console-accounts-form.js, the
 * permission groups console-permissions.js. What `accounts: edit` would be refused is not shown,
 * and nobody is offered to disable or delete the account they are signed in with. Every text goes
 * in through textContent. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const ACCOUNTS = 'api/v1/admin/accounts';

  // One row per string: [key, zh-CN, English]. The dialogs' own are in console-accounts-form.js.
  const STRINGS = [
    ['accounts_nav', '子账号', 'Accounts'],
    ['accounts_new', '新建账号', 'New account'],
    ['accounts_account', '账号', 'Account'],
    ['accounts_you', '（当前登录）', '(you)'],
    ['accounts_nickname', '昵称', 'Nickname'],
    ['accounts_staff_no', '工号', 'Staff no.'],
    ['accounts_role', '角色', 'Role'],
    ['accounts_role_agent', '客服', 'Agent'],
    ['accounts_role_supervisor', '主管', 'Supervisor'],
    ['accounts_role_admin', '管理员', 'Administrator'],
    ['accounts_permission_group', '权限组', 'Permission group'],
    ['accounts_role_defaults', '角色默认权限', "The role's default rights"],
    ['accounts_owner', '商户总账号（全部权限）', "The merchant's owner (every right)"],
    ['accounts_groups', '客服分组', 'Agent groups'],
    ['accounts_groups_column', '客服分组（优先级）', 'Agent groups (priority)'],
    ['accounts_group_priority', '{group}（{n}）', '{group} ({n})'],
    ['accounts_site_scope', '站点范围', 'Site scope'],
    ['accounts_sites_all', '全部站点', 'All sites'],
    ['accounts_agent_scope', '客服范围', 'Agent scope'],
    ['accounts_scope_self', '仅自己', 'Only itself'],
    ['accounts_scope_groups', '指定分组', 'Chosen groups'],
    ['accounts_scope_all', '全部', 'Everyone'],
    ['accounts_scope_groups_cell', '分组：{list}', 'Groups: {list}'],
    ['accounts_scope_by_role', '按角色默认', "The role's default"],
    ['accounts_status', '状态', 'Status'],
    ['accounts_enabled', '启用', 'Enabled'],
    ['accounts_disabled', '已禁用', 'Disabled'],
    ['accounts_actions', '操作', 'Actions'],
    ['accounts_edit', '编辑', 'Edit'],
    ['accounts_password_action', '密码', 'Password'],
    ['accounts_disable', '禁用', 'Disable'],
    ['accounts_disable_title', '禁用账号 {account}？', 'Disable account {account}?'],
    [
      'accounts_disable_text',
      '禁用后该账号不能登录，它已登录的页面会立即退出。之后可以重新启用。',
      'It can no longer sign in, and it is signed out everywhere at once. You can enable it ' +
        'again later.',
    ],
    ['accounts_disabled_done', '账号 {account} 已禁用', 'Account {account} is disabled'],
    ['accounts_enable', '启用', 'Enable'],
    ['accounts_enabled_done', '账号 {account} 已启用', 'Account {account} is enabled'],
    ['accounts_delete', '删除', 'Delete'],
    ['accounts_delete_title', '删除账号 {account}？', 'Delete account {account}?'],
    [
      'accounts_delete_text',
      '账号将被永久删除，此操作不能撤销。',
      'The account is deleted for good. This cannot be undone.',
    ],
    ['accounts_deleted', '账号 {account} 已删除', 'Account {account} deleted'],
    ['accounts_empty', '还没有账号。', 'No accounts yet.'],
  ];
  kit.strings(STRINGS);

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const actions = kit.actions;

  /**
   * How sites are named to a person: by name; a site without one by its key, and a name that
   * several sites share with its key after it (演示网站 (demo-web)). Map of key -> label.
   */
  function siteLabels(sites) {
    const count = new Map();
    for (const site of sites) if (site.name) count.set(site.name, (count.get(site.name) || 0) + 1);
    return new Map(
      sites.map(({ key, name }) => {
        if (!name) return [key, key];
        return [key, count.get(name) > 1 ? `${name} (${key})` : name];
      }),
    );
  }

  /**
   * What the dialogs choose from: the permission groups (listed: the merchant's own list; else
   * only those the accounts show, for an account that may not list them), the agent groups by
   * name (any account may read them) and the sites, [{key, label}] in the order of their labels
   * (without the `sites` right: the groups' site keys, named by key).
   */
  function references(accounts, permissionGroups, groups, sites) {
    const groupList = groups.ok ? groups.data : [];
    let choices = permissionGroups.ok ? permissionGroups.data : null;
    if (!choices) {
      const seen = new Map();
      for (const a of accounts) {
        if (a.permission_group_id) seen.set(a.permission_group_id, a.permission_group);
      }
      choices = [...seen].map(([id, name]) => ({ id, name }));
    }
    const siteList = sites.ok
      ? sites.data.map((s) => ({ key: s.key, name: (s.name || '').trim() }))
      : [...new Set(groupList.flatMap((g) => g.sites || []))].map((key) => ({ key, name: '' }));
    const labels = siteLabels(siteList);
    const siteChoices = siteList.map(({ key }) => ({ key, label: labels.get(key) }));
    siteChoices.sort((a, b) => a.label.localeCompare(b.label) || a.key.localeCompare(b.key));
    return {
      permissionGroups: choices,
      listed: permissionGroups.ok,
      groups: groupList,
      sites: siteChoices,
      siteLabel: (key) => labels.get(key) || key,
    };
  }

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editing = ctx.can('accounts', 'edit');
    const forms = root.ConsoleAccountForms;
    const roles = {
      agent: t('accounts_role_agent'),
      supervisor: t('accounts_role_supervisor'),
      admin: t('accounts_role_admin'),
    };
    const scopes = {
      self: t('accounts_scope_self'),
      groups: t('accounts_scope_groups'),
      all: t('accounts_scope_all'),
    };
    const path = (row) => `${ACCOUNTS}/${encodeURIComponent(row.account)}`;
    const isMe = (row) => row.account === ctx.me.account;
    const done = (text) => {
      ctx.toast(text);
      reload();
    };
    container.appendChild(el('p', 'cs-empty', t('loading')));

    async function reload() {
      const none = { ok: false };
      const [accounts, permissionGroups, groups, sites] = await Promise.all([
        api('GET', ACCOUNTS),
        ctx.can('permission_groups') ? api('GET', 'api/v1/admin/permission-groups') : none,
        api('GET', 'api/v1/agents/groups'), // the names, for any account of the merchant
        ctx.can('sites') ? api('GET', 'api/v1/admin/sites') : none,
      ]);
      if (!container.isConnected) return; // the section was left meanwhile
      if (!accounts.ok) {
        container.replaceChildren(el('p', 'cs-form-error', ctx.explain(accounts)));
        return;
      }
      const refs = references(accounts.data, permissionGroups, groups, sites);
      const create = () => show(forms.accountForm(ctx, null, refs, done));
      const items = editing ? [['new', 'ui-primary', t('accounts_new'), create]] : [];
      container.replaceChildren(kit.titleBar(t('accounts_nav'), items), table(accounts.data, refs));
    }

    function table(accounts, refs) {
      const names = new Map(refs.groups.map((g) => [g.id, g.name || g.id]));
      const columns = [
        { title: t('accounts_account'), cell: account },
        { title: t('accounts_nickname'), cell: (a) => a.nickname },
        { title: t('accounts_staff_no'), cell: (a) => a.staff_no },
        { title: t('accounts_role'), cell: (a) => roles[a.role] || a.role },
        { title: t('accounts_permission_group'), cell: permissionGroup },
        { title: t('accounts_groups_column'), cell: (a) => memberships(a, names) },
        { title: t('accounts_site_scope'), cell: (a) => siteScope(a, refs) },
        { title: t('accounts_agent_scope'), cell: (a) => agentScope(a, names) },
        { title: t('accounts_status'), cell: status },
      ];
      if (editing) {
        columns.push({ title: t('accounts_actions'), cell: (a) => rowActions(a, refs) });
      }
      return kit.table(columns, accounts, { empty: t('accounts_empty') });
    }

    function account(row) {
      const box = el('div'); // "(you)" may go under the name when the table is short of room
      box.appendChild(el('code', '', row.account));
      if (isMe(row)) box.appendChild(el('span', 'cs-help', ` ${t('accounts_you')}`));
      return box;
    }

    function permissionGroup(row) {
      if (row.owner) return el('span', 'cs-help', t('accounts_owner'));
      if (row.permission_group === null) return el('span', 'cs-help', t('accounts_role_defaults'));
      return row.permission_group;
    }

    function memberships(row, names) {
      const box = el('div');
      const entries = Object.entries(row.groups).sort((a, b) => a[1] - b[1]);
      for (const [id, n] of entries) {
        const group = names.get(id) || id;
        box.appendChild(el('div', 'cs-nowrap', t('accounts_group_priority', { group, n })));
      }
      return box;
    }

    function siteScope(row, refs) {
      if (row.site_scope === 'all') return t('accounts_sites_all');
      const box = el('div');
      for (const key of row.sites) {
        const line = el('div', 'cs-nowrap', refs.siteLabel(key));
        line.title = key;
        box.appendChild(line);
      }
      return box;
    }

    /** Without a permission group (accounts of chatflow.yaml) the role decides the scope. */
    function agentScope(row, names) {
      if (row.owner) return scopes.all;
      if (row.permission_group_id === null) {
        return el('span', 'cs-help', t('accounts_scope_by_role'));
      }
      if (row.agent_scope !== 'groups') return scopes[row.agent_scope] || row.agent_scope;
      const list = row.scope_groups.map((id) => names.get(id) || id).join(', ');
      return t('accounts_scope_groups_cell', { list });
    }

    function status(row) {
      const on = row.enabled;
      const label = on ? t('accounts_enabled') : t('accounts_disabled');
      return el('span', `cs-badge ${on ? 'cs-badge-ok' : 'cs-badge-off'}`, label);
    }

    /** Edit and password for everyone; disable, or enable and delete, for the others. */
    function rowActions(row, refs) {
      const edit = () => show(forms.accountForm(ctx, row, refs, done));
      const password = () => show(forms.passwordForm(ctx, row, done));
      const items = [
        ['edit', '', t('accounts_edit'), edit],
        ['password', '', t('accounts_password_action'), password],
      ];
      if (!isMe(row) && row.enabled) {
        items.push(['disable', 'ui-danger', t('accounts_disable'), () => disable(row)]);
      } else if (!isMe(row)) {
        items.push(['enable', '', t('accounts_enable'), () => enable(row)]);
        items.push(['delete', 'ui-danger', t('accounts_delete'), () => remove(row)]);
      }
      return actions(items, 'cs-row-actions');
    }

    function disable(row) {
      const title = t('accounts_disable_title', { account: row.account });
      const text = t('accounts_disable_text');
      const box = kit.confirm(title, text, t('accounts_disable'), async () => {
        const result = await api('POST', `${path(row)}/disable`);
        if (!result.ok) return result.status === 409 ? result.message : ctx.explain(result);
        done(t('accounts_disabled_done', { account: row.account }));
        return null;
      });
      show(box);
    }

    async function enable(row) {
      const result = await api('POST', `${path(row)}/enable`);
      if (!result.ok) ctx.toast(ctx.explain(result), 'error');
      else done(t('accounts_enabled_done', { account: row.account }));
    }

    /** Only a disabled account can be deleted (the API answers 409 account_enabled otherwise). */
    function remove(row) {
      const title = t('accounts_delete_title', { account: row.account });
      const text = t('accounts_delete_text');
      const box = kit.confirm(title, text, t('accounts_delete'), async () => {
        const result = await api('DELETE', path(row));
        if (!result.ok) return result.status === 409 ? result.message : ctx.explain(result);
        done(t('accounts_deleted', { account: row.account }));
        return null;
      });
      show(box);
    }

    reload();
  }

  kit.register({
    id: 'accounts',
    title: 'accounts_nav',
    order: 50,
    probe: ACCOUNTS,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
