/* chatflow admin console: agent groups (客服分组), over the admin API's /groups
 * (docs/admin-api.md): a table, create and edit dialogs, and deleting a group, which the API
 * refuses while a site or a published flow uses it; the refusal names them. Every text goes in
 * through textContent or form values. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const GROUPS = 'api/v1/admin/groups';

  kit.strings({
    'zh-CN': {
      groups_nav: '客服分组',
      groups_new: '新建分组',
      groups_id: '分组标识',
      groups_id_help: '字母、数字、_ 和 -；流程的转人工节点用它指定分组，创建后不能修改',
      groups_name: '名称',
      groups_max: '接待上限',
      groups_max_help: '每位客服同时接待的会话数（1-100）',
      groups_routing: '分配方式',
      groups_fifo: '先到先分配',
      groups_priority: '按优先级',
      groups_routing_help:
        '先到先分配：等得最久的访客给空闲最久的客服；按优先级：先给分组内优先级高的客服',
      groups_ring: '振铃时长（秒）',
      groups_ring_help: '超过后转给其他客服（最多 600 秒）',
      groups_seconds: '{n} 秒',
      groups_rest: '未接后转为小休',
      groups_auto: '自动接入',
      groups_sites: '使用的站点',
      groups_actions: '操作',
      groups_yes: '是',
      groups_no: '否',
      groups_required: '请填写',
      groups_edit: '编辑',
      groups_edit_title: '编辑分组 {id}',
      groups_delete: '删除',
      groups_delete_title: '删除分组 {id}？',
      groups_delete_text: '分组里的客服会离开该分组。此操作不能撤销。',
      groups_in_use: '分组 {id} 仍在使用中，不能删除。',
      groups_in_use_sites: '使用它的站点：{list}',
      groups_in_use_flows: '转接到它的已发布流程：{list}',
      groups_in_use_fix: '请先从这些站点和流程中移除它。',
      groups_created: '分组 {id} 已创建',
      groups_saved: '分组 {id} 已保存',
      groups_deleted: '分组 {id} 已删除',
      groups_empty: '还没有客服分组。',
      groups_create: '创建',
      groups_save: '保存',
    },
    en: {
      groups_nav: 'Agent groups',
      groups_new: 'New group',
      groups_id: 'Id',
      groups_id_help:
        "Letters, digits, _ and -; flows' transfer nodes name the group by it; it cannot change " +
        'later',
      groups_name: 'Name',
      groups_max: 'Max sessions',
      groups_max_help: 'Conversations one agent serves at once (1-100)',
      groups_routing: 'Routing',
      groups_fifo: 'First come',
      groups_priority: 'By priority',
      groups_routing_help:
        'First come: the longest-waiting visitor goes to the longest-idle agent; by priority: ' +
        "to the agents with the group's highest priority first",
      groups_ring: 'Ring timeout (s)',
      groups_ring_help: 'Then the offer goes to another agent (at most 600 s)',
      groups_seconds: '{n} s',
      groups_rest: 'Rest after a missed offer',
      groups_auto: 'Auto accept',
      groups_sites: 'Used by sites',
      groups_actions: 'Actions',
      groups_yes: 'Yes',
      groups_no: 'No',
      groups_required: 'Required',
      groups_edit: 'Edit',
      groups_edit_title: 'Edit group {id}',
      groups_delete: 'Delete',
      groups_delete_title: 'Delete group {id}?',
      groups_delete_text: 'Its agents leave the group. This cannot be undone.',
      groups_in_use: 'Group {id} is still in use and cannot be deleted.',
      groups_in_use_sites: 'Sites that use it: {list}',
      groups_in_use_flows: 'Published flows that transfer to it: {list}',
      groups_in_use_fix: 'Remove it from them first.',
      groups_created: 'Group {id} created',
      groups_saved: 'Group {id} saved',
      groups_deleted: 'Group {id} deleted',
      groups_empty: 'No agent groups yet.',
      groups_create: 'Create',
      groups_save: 'Save',
    },
  });

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const actions = kit.actions;

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editable = ctx.can('groups', 'edit'); // a view-only account gets no buttons
    const routing = { fifo: t('groups_fifo'), priority: t('groups_priority') };
    const yesNo = (value) => (value ? t('groups_yes') : t('groups_no'));
    const path = (group) => `${GROUPS}/${encodeURIComponent(group.id)}`;
    container.appendChild(el('p', 'cs-empty', t('loading')));

    async function reload() {
      const groups = await api('GET', GROUPS);
      if (!container.isConnected) return; // the section was left meanwhile
      if (!groups.ok) {
        container.replaceChildren(el('p', 'cs-form-error', ctx.explain(groups)));
        return;
      }
      const items = editable ? [['new', 'ui-primary', t('groups_new'), () => groupForm(null)]] : [];
      container.replaceChildren(kit.titleBar(t('groups_nav'), items), table(groups.data));
    }

    function table(groups) {
      const seconds = (g) => t('groups_seconds', { n: g.ring_timeout });
      const columns = [
        { title: t('groups_id'), cell: (g) => el('code', '', g.id) },
        { title: t('groups_name'), cell: (g) => g.name || '' },
        { title: t('groups_max'), cell: (g) => g.max_sessions, className: 'cs-num' },
        { title: t('groups_routing'), cell: (g) => routing[g.routing] || g.routing },
        { title: t('groups_ring'), cell: seconds, className: 'cs-num' },
        { title: t('groups_rest'), cell: (g) => yesNo(g.rest_after_missed) },
        { title: t('groups_auto'), cell: (g) => yesNo(g.auto_accept) },
        { title: t('groups_sites'), cell: (g) => g.sites.join(', ') },
        {
          title: t('groups_actions'),
          cell: (g) =>
            editable
              ? actions(
                  [
                    ['edit', '', t('groups_edit'), () => groupForm(g)],
                    ['delete', 'ui-danger', t('groups_delete'), () => remove(g)],
                  ],
                  'cs-row-actions',
                )
              : '',
        },
      ];
      return kit.table(columns, groups, { empty: t('groups_empty') });
    }

    function groupForm(group) {
      const fields = [
        { name: 'name', label: t('groups_name'), maxLength: 100 },
        {
          name: 'max_sessions',
          label: t('groups_max'),
          type: 'number',
          min: 1,
          max: 100,
          required: true,
          help: t('groups_max_help'),
        },
        {
          name: 'routing',
          label: t('groups_routing'),
          type: 'select',
          options: [
            { value: 'fifo', label: routing.fifo },
            { value: 'priority', label: routing.priority },
          ],
          help: t('groups_routing_help'),
        },
        {
          name: 'ring_timeout',
          label: t('groups_ring'),
          type: 'number',
          max: 600,
          required: true,
          help: t('groups_ring_help'),
        },
        { name: 'rest_after_missed', label: t('groups_rest'), type: 'checkbox' },
        { name: 'auto_accept', label: t('groups_auto'), type: 'checkbox' },
      ];
      if (!group) {
        const help = t('groups_id_help');
        fields.unshift({ name: 'id', label: t('groups_id'), required: true, maxLength: 64, help });
      }
      const submit = async (values) => {
        // An emptied number would read as "keep it" to PATCH: say it is needed instead.
        const empty = ['max_sessions', 'ring_timeout'].filter((name) => values[name] === null);
        if (empty.length) {
          return { errors: empty.map((name) => ({ path: name, message: t('groups_required') })) };
        }
        const body = { ...values, name: values.name || null };
        const result = group
          ? await api('PATCH', path(group), body)
          : await api('POST', GROUPS, body);
        if (!result.ok) return kit.refusal(result, ctx.explain, group ? null : 'id');
        closeDialog();
        const id = result.data.id;
        ctx.toast(group ? t('groups_saved', { id }) : t('groups_created', { id }));
        reload();
        return null;
      };
      const starting = group || { max_sessions: 5, routing: 'fifo', ring_timeout: 15 };
      const title = group ? t('groups_edit_title', { id: group.id }) : t('groups_new');
      const label = group ? t('groups_save') : t('groups_create');
      show(kit.dialog(title, kit.form(fields, starting, label, submit)));
    }

    function remove(group) {
      const title = t('groups_delete_title', { id: group.id });
      const box = kit.confirm(title, t('groups_delete_text'), t('groups_delete'), async () => {
        const result = await api('DELETE', path(group));
        if (result.ok) {
          ctx.toast(t('groups_deleted', { id: group.id }));
          reload();
          return null;
        }
        if (result.code === 'group_in_use' && result.data) return inUse(group, result.data);
        return ctx.explain(result);
      });
      show(box);
    }

    /** Why a delete was refused: the sites and published flows that still use the group. */
    function inUse(group, data) {
      const box = el('div', 'cs-in-use');
      const sites = Array.isArray(data.sites) ? data.sites : [];
      const flows = Array.isArray(data.flows) ? data.flows : [];
      box.appendChild(el('p', '', t('groups_in_use', { id: group.id })));
      if (sites.length) {
        box.appendChild(el('p', '', t('groups_in_use_sites', { list: sites.join(', ') })));
      }
      if (flows.length) {
        box.appendChild(el('p', '', t('groups_in_use_flows', { list: flows.join(', ') })));
      }
      box.appendChild(el('p', '', t('groups_in_use_fix')));
      return box;
    }

    reload();
  }

  kit.register({
    id: 'groups',
    title: 'groups_nav',
    order: 40,
    probe: GROUPS,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
