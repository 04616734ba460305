/* chatflow admin console: the dialogs of the accounts section (console-accounts.js calls
 * ConsoleAccountForms): a new or changed sub-account, with its permission group, agent groups
 * and priorities, site scope and agent scope; and a new password, proven by the signed-in
 * account's own password (docs/admin-api.md, "Passwords"). The API's refusals show at their
 * fields; the password policy is the API's to check and word. Every text goes in as text. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const ACCOUNTS = 'api/v1/admin/accounts';

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    [
      'accounts_account_help',
      '6-20 个半角字母、数字或 _，创建后不能修改',
      '6-20 letters, digits or _; it cannot change later',
    ],
    ['accounts_password', '密码', 'Password'],
    [
      'accounts_password_help',
      '8-20 个字符，不含空格，须包含大写字母、小写字母、数字和符号（如 !@#$%）',
      '8-20 characters without spaces, with an upper-case letter, a lower-case letter, a digit ' +
        'and a symbol such as !@#$%',
    ],
    ['accounts_nickname_help', '显示给访客', 'Shown to visitors'],
    ['accounts_staff_no_help', '显示给访客', 'Shown to visitors'],
    [
      'accounts_role_help',
      '决定工作台提供的功能；权限来自权限组',
      'What the workbench offers; the rights come from the permission group',
    ],
    ['accounts_keep_defaults', '（保持角色默认权限）', "(keep the role's default rights)"],
    ['accounts_group_id', '权限组编号', 'Permission group number'],
    [
      'accounts_need_group',
      '请先创建权限组：每个子账号的权限都来自一个权限组。',
      'Create a permission group first: every sub-account takes its rights from one.',
    ],
    ['accounts_to_permissions', '前往“权限组”', 'Go to Permission groups'],
    [
      'accounts_groups_help',
      '勾选账号接待的分组，并选择它在每个分组中的优先级（1 最高）',
      'Tick the groups it serves and choose its priority in each (1 is the highest)',
    ],
    ['accounts_groups_none', '还没有客服分组。', 'There are no agent groups yet.'],
    ['accounts_priority', '优先级 {n}', 'Priority {n}'],
    ['accounts_priority_of', '{group} 的优先级', 'Priority in {group}'],
    ['accounts_sites_chosen', '指定站点', 'Chosen sites'],
    ['accounts_sites', '站点', 'Sites'],
    [
      'accounts_sites_none',
      '还没有站点，只能选择全部站点。',
      'There are no sites yet: only all sites is possible.',
    ],
    ['accounts_agent_scope_help', '能看到谁的会话和客服', 'Whose conversations and agents it sees'],
    [
      'accounts_agent_scope_role',
      '能看到谁的会话和客服；在它有权限组之前，由角色决定',
      'Whose conversations and agents it sees; until it has a permission group, its role decides',
    ],
    ['accounts_scope_groups_label', '范围内的分组', 'Groups in its scope'],
    ['accounts_edit_title', '编辑账号 {account}', 'Edit account {account}'],
    ['accounts_created', '账号 {account} 已创建', 'Account {account} created'],
    ['accounts_saved', '账号 {account} 已保存', 'Account {account} saved'],
    ['accounts_create', '创建', 'Create'],
    ['accounts_save', '保存', 'Save'],
    ['accounts_password_title', '修改 {account} 的密码', 'Change the password of {account}'],
    ['accounts_new_password', '新密码', 'New password'],
    ['accounts_repeat', '再次输入新密码', 'New password again'],
    ['accounts_repeat_differs', '两次输入的新密码不一致', 'The two new passwords differ'],
    ['accounts_proof_admin', '你的密码（{account}）', 'Your password ({account})'],
    [
      'accounts_proof_admin_help',
      '修改其他账号的密码需要输入你自己的密码以确认',
      "Changing another account's password needs your own password as proof",
    ],
    ['accounts_proof_old', '当前密码', 'Current password'],
    ['accounts_wrong_proof', '密码不正确', 'That password is incorrect'],
    [
      'accounts_locked',
      '密码错误次数过多，请 {seconds} 秒后再试',
      'Too many wrong passwords; try again in {seconds} s',
    ],
    [
      'accounts_password_changed',
      '{account} 的密码已修改，它的所有登录都已失效',
      'The password of {account} is changed; all its sign-ins have ended',
    ],
    ['accounts_password_changed_self', '密码已修改，请重新登录', 'Your password is changed; sign in again'],
    ['accounts_change', '修改', 'Change'],
  ];
  kit.strings(STRINGS);

  /** A tick and a priority (1-5) per agent group; reads as {group id: priority}. */
  function groupsPicker(t, groups, chosen) {
    const node = el('div'); // a line per group
    const lines = [];
    const known = groups.map((g) => [g.id, g.name || g.id]);
    for (const id of Object.keys(chosen)) {
      if (!known.some(([k]) => k === id)) known.push([id, id]);
    }
    for (const [id, name] of known) {
      const tick = el('label', 'cs-check');
      const box = el('input');
      box.type = 'checkbox';
      box.value = id;
      box.checked = id in chosen;
      tick.append(box, document.createTextNode(name === id ? id : `${name} (${id})`));
      const levels = [1, 2, 3, 4, 5].map((n) => [n, t('accounts_priority', { n })]);
      const priority = kit.select(levels, chosen[id] || 1);
      priority.setAttribute('aria-label', t('accounts_priority_of', { group: name }));
      priority.disabled = !box.checked;
      box.addEventListener('change', () => {
        priority.disabled = !box.checked;
      });
      const line = el('span', 'cs-check');
      line.dataset.group = id;
      line.append(tick, priority);
      node.appendChild(line);
      lines.push([box, priority]);
    }
    const read = () =>
      Object.fromEntries(lines.filter(([box]) => box.checked).map(([b, p]) => [b.value, +p.value]));
    return { node, read };
  }

  /** "Create a permission group first", with a way there when this account may see them. */
  function needGroup(ctx) {
    const box = el('p', 'cs-form-error cs-need-group');
    box.setAttribute('role', 'alert');
    box.appendChild(document.createTextNode(ctx.t('accounts_need_group')));
    if (ctx.can('permission_groups')) {
      const link = el('a', 'cs-link', ctx.t('accounts_to_permissions'));
      link.href = '#permissions';
      box.append(' ', link);
    }
    return box;
  }

  const sameSet = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  const sameMap = (a, b) =>
    JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

  /** PATCH only what changed: the lists replace, and an untouched account keeps its scopes. */
  function changes(row, v) {
    const body = {};
    for (const name of ['nickname', 'staff_no', 'role']) {
      if (name in v && v[name] !== row[name]) body[name] = v[name];
    }
    const group = v.permission_group_id ? Number(v.permission_group_id) : null;
    if (group !== null && group !== row.permission_group_id) body.permission_group_id = group;
    if (!sameMap(v.groups, row.groups)) body.groups = v.groups;
    if ('site_scope' in v && (v.site_scope !== row.site_scope || !sameSet(v.sites, row.sites))) {
      Object.assign(body, { site_scope: v.site_scope, sites: v.sites });
    }
    const agents = v.agent_scope !== row.agent_scope || !sameSet(v.scope_groups, row.scope_groups);
    if ('agent_scope' in v && agents) {
      Object.assign(body, { agent_scope: v.agent_scope, scope_groups: v.scope_groups });
    }
    return body;
  }

  /** The fields of a new account (`row` null) or of a changed one; the owner's are its profile
   * and its agent groups. */
  function fields(ctx, row, refs) {
    const { t } = ctx;
    const groupsField = {
      name: 'groups',
      label: t('accounts_groups'),
      type: 'custom',
      control: groupsPicker(t, refs.groups, row ? row.groups : {}),
      help: refs.groups.length ? t('accounts_groups_help') : t('accounts_groups_none'),
    };
    const list = [];
    if (!row) {
      const account = { name: 'account', label: t('accounts_account'), required: true };
      list.push({ ...account, maxLength: 20, help: t('accounts_account_help') });
      const password = { name: 'password', label: t('accounts_password'), type: 'password' };
      list.push({ ...password, required: true, maxLength: 128, help: t('accounts_password_help') });
    }
    const nickname = { name: 'nickname', label: t('accounts_nickname'), maxLength: 50 };
    list.push({ ...nickname, required: true, help: t('accounts_nickname_help') });
    const staff = { name: 'staff_no', label: t('accounts_staff_no'), maxLength: 20 };
    list.push({ ...staff, required: true, help: t('accounts_staff_no_help') });
    if (row && row.owner) return [...list, groupsField];
    const roles = [
      { value: 'agent', label: t('accounts_role_agent') },
      { value: 'supervisor', label: t('accounts_role_supervisor') },
      { value: 'admin', label: t('accounts_role_admin') },
    ];
    list.push({
      name: 'role',
      label: t('accounts_role'),
      type: 'select',
      options: roles,
      help: t('accounts_role_help'),
    });
    const options = refs.permissionGroups.map((g) => ({ value: g.id, label: g.name }));
    if (row && row.permission_group_id === null) {
      options.unshift({ value: '', label: t('accounts_keep_defaults') });
    }
    const group = { name: 'permission_group_id', label: t('accounts_permission_group') };
    if (options.length || refs.listed) list.push({ ...group, type: 'select', options });
    else list.push({ ...group, type: 'number', min: 1, help: t('accounts_group_id') });
    list.push(groupsField);
    list.push({
      name: 'site_scope',
      label: t('accounts_site_scope'),
      type: 'select',
      options: [
        { value: 'all', label: t('accounts_sites_all') },
        { value: 'chosen', label: t('accounts_sites_chosen') },
      ],
      help: refs.sites.length ? '' : t('accounts_sites_none'),
    });
    // by name (console-accounts.js siteLabels); a chosen one this account cannot list, by key
    const sites = refs.sites.map((site) => ({ value: site.key, label: site.label }));
    for (const key of row && row.sites ? row.sites : []) {
      if (!sites.some((o) => o.value === key)) sites.push({ value: key, label: key });
    }
    list.push({ name: 'sites', label: t('accounts_sites'), type: 'checks', options: sites });
    list.push({
      name: 'agent_scope',
      label: t('accounts_agent_scope'),
      type: 'select',
      options: [
        { value: 'self', label: t('accounts_scope_self') },
        { value: 'groups', label: t('accounts_scope_groups') },
        { value: 'all', label: t('accounts_scope_all') },
      ],
      help:
        row && row.permission_group_id === null
          ? t('accounts_agent_scope_role')
          : t('accounts_agent_scope_help'),
    });
    const groups = refs.groups.map((g) => ({ value: g.id, label: g.name || g.id }));
    const scoped = { name: 'scope_groups', label: t('accounts_scope_groups_label') };
    list.push({ ...scoped, type: 'checks', options: groups });
    return list;
  }

  /** A scope's list shows only with the scope that uses it. */
  function linkScope(form, scopeName, listName, shownWith) {
    const scope = form.querySelector(`[data-name="${scopeName}"]`);
    const list = form.querySelector(`[data-name="${listName}"]`);
    if (!scope || !list) return;
    const sync = () => {
      list.closest('.cs-field').hidden = scope.value !== shownWith;
    };
    scope.addEventListener('change', sync);
    sync();
  }

  /** New (`row` null) or edit. `done(text)` reports success (the section toasts and reloads). */
  function accountForm(ctx, row, refs, done) {
    const { t, api } = ctx;
    const creating = !row;
    if (creating && refs.listed && !refs.permissionGroups.length) {
      return kit.dialog(t('accounts_new'), needGroup(ctx));
    }
    const notice = needGroup(ctx);
    notice.hidden = true;
    let box = null;
    const submit = async (values) => {
      notice.hidden = true;
      const v = { ...values };
      if (v.site_scope !== 'chosen') v.sites = [];
      if (v.agent_scope !== 'groups') v.scope_groups = [];
      let result;
      if (creating) {
        v.permission_group_id = v.permission_group_id ? Number(v.permission_group_id) : null;
        result = await api('POST', ACCOUNTS, v);
      } else {
        const path = `${ACCOUNTS}/${encodeURIComponent(row.account)}`;
        result = await api('PATCH', path, changes(row, v));
      }
      if (!result.ok) {
        notice.hidden = result.code !== 'permission_group_required';
        if (!notice.hidden) return { errors: [] };
        // a taken account name or staff number: the 409 names its field, as a 422 does
        return kit.refusal(result, ctx.explain, creating ? 'account' : null);
      }
      box.close();
      const account = result.data.account;
      done(creating ? t('accounts_created', { account }) : t('accounts_saved', { account }));
      return null;
    };
    const first = refs.permissionGroups.length ? refs.permissionGroups[0].id : '';
    const start = row
      ? { ...row, permission_group_id: row.permission_group_id || '' }
      : { role: 'agent', permission_group_id: first, site_scope: 'all', agent_scope: 'self' };
    const label = creating ? t('accounts_create') : t('accounts_save');
    const form = kit.form(fields(ctx, row, refs), start, label, submit);
    linkScope(form, 'site_scope', 'sites', 'chosen');
    linkScope(form, 'agent_scope', 'scope_groups', 'groups');
    form.prepend(notice);
    const title = creating ? t('accounts_new') : t('accounts_edit_title', { account: row.account });
    box = kit.dialog(title, form);
    return box;
  }

  /**
   * A new password, typed twice, proven by the signed-in account's own password: as
   * `admin_password` for another account, as `old_password` for its own. A wrong proof counts
   * like a failed sign-in; past the limit the API answers 429 with the seconds to wait.
   */
  function passwordForm(ctx, row, done) {
    const { t, api } = ctx;
    const self = row.account === ctx.me.account;
    const proof = self ? 'old_password' : 'admin_password';
    const password = { type: 'password', required: true, maxLength: 128 };
    const list = [
      {
        ...password,
        name: 'new_password',
        label: t('accounts_new_password'),
        help: t('accounts_password_help'),
      },
      { ...password, name: 'repeat', label: t('accounts_repeat') },
      self
        ? { ...password, name: proof, label: t('accounts_proof_old') }
        : {
            ...password,
            name: proof,
            label: t('accounts_proof_admin', { account: ctx.me.account }),
            help: t('accounts_proof_admin_help'),
          },
    ];
    let box = null;
    const submit = async (values) => {
      if (values.new_password !== values.repeat) {
        return { errors: [{ path: 'repeat', message: t('accounts_repeat_differs') }] };
      }
      const body = { new_password: values.new_password, [proof]: values[proof] };
      const path = `${ACCOUNTS}/${encodeURIComponent(row.account)}/password`;
      const result = await api('PUT', path, body);
      if (result.ok) {
        box.close();
        const account = row.account;
        const said = t('accounts_password_changed', { account });
        done(self ? t('accounts_password_changed_self') : said);
        return null;
      }
      if (result.status === 403 && result.code === 'wrong_password') {
        return { errors: [{ path: proof, message: t('accounts_wrong_proof') }] };
      }
      if (result.status === 429) {
        const header = result.response.headers.get('Retry-After');
        const after = Number((result.data && result.data.retry_after) || header) || 0;
        return { message: t('accounts_locked', { seconds: Math.ceil(after) }) };
      }
      return kit.refusal(result, ctx.explain);
    };
    const form = kit.form(list, {}, t('accounts_change'), submit);
    box = kit.dialog(t('accounts_password_title', { account: row.account }), form);
    return box;
  }

  root.ConsoleAccountForms = { accountForm, passwordForm };
})(typeof self !== 'undefined' ? self : this);
