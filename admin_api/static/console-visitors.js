/* chatflow admin console: the blacklist (黑名单, seeds 001/003). Blacklisted visitors with the
 * reason, who added them and when; taking one off (after a confirmation) and adding a visitor by
 * its id, both with blacklist: edit. Visitors are mostly blacklisted from their records (the
 * records batch action). A blacklisted visitor cannot start a conversation; its records stay.
 * Tags are console-tags.js. API: docs/content.md. Every text goes in through textContent or
 * form values. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const BLACKLIST = 'api/v1/blacklist';
  const PAGE = 50;

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['blacklist_nav', '黑名单', 'Blacklist'],
    [
      'blacklist_help',
      '黑名单中的访客不能发起新会话；其服务记录保留。通常在服务记录中批量加入黑名单。',
      'Blacklisted visitors cannot start a conversation; their records stay. Visitors are ' +
        'usually blacklisted from the service records.',
    ],
    ['blacklist_add', '按访客 ID 加入', 'Add by visitor id'],
    ['blacklist_visitorId', '访客 ID', 'Visitor id'],
    [
      'blacklist_visitorIdHelp',
      '访客的 ID（在服务记录中可见）；必须是已有会话或资料的访客',
      'The visitor’s id (the service records show it); one with a conversation or a profile',
    ],
    [
      'blacklist_unknown',
      '没有这个访客：它没有会话，也没有资料。',
      'No such visitor: it has no conversation and no profile.',
    ],
    ['blacklist_required', '请填写', 'Required'],
    ['blacklist_reason', '原因', 'Reason'],
    ['blacklist_visitor', '访客', 'Visitor'],
    ['blacklist_by', '操作人', 'Added by'],
    ['blacklist_at', '加入时间', 'Added'],
    ['blacklist_actions', '操作', 'Actions'],
    ['blacklist_remove', '移出黑名单', 'Remove'],
    ['blacklist_removeTitle', '将 {visitor} 移出黑名单？', 'Remove {visitor} from the blacklist?'],
    ['blacklist_removeText', '该访客将可以再次发起会话。', 'The visitor can start conversations again.'],
    ['blacklist_removed', '{visitor} 已移出黑名单', '{visitor} is off the blacklist'],
    ['blacklist_added', '{visitor} 已加入黑名单', '{visitor} is blacklisted'],
    ['blacklist_empty', '黑名单是空的。', 'The blacklist is empty.'],
    ['blacklist_save', '加入黑名单', 'Blacklist'],
  ];
  kit.strings(STRINGS);

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const path = (visitorId) => `${BLACKLIST}/${encodeURIComponent(visitorId)}`;
  const named = (entry) => entry.name || entry.visitor_id;

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editing = ctx.can('blacklist', 'edit');
    let offset = 0;
    let agents = null; // account -> nickname, read once

    const results = el('div', 'cs-section', el('p', 'cs-empty', t('loading')));
    const items = editing ? [['add', 'ui-primary', t('blacklist_add'), addForm]] : [];
    const bar = kit.titleBar(t('blacklist_nav'), items);
    container.replaceChildren(bar, el('p', 'cs-help', t('blacklist_help')), results);

    async function reload() {
      const [page, staff] = await Promise.all([
        api('GET', `${BLACKLIST}?limit=${PAGE}&offset=${offset}`),
        agents ? null : api('GET', 'api/v1/agents?include_offline=true'),
      ]);
      if (!container.isConnected) return;
      if (staff) {
        agents = new Map((staff.ok ? staff.data : []).map((a) => [a.account, a.nickname]));
      }
      if (!page.ok) {
        results.replaceChildren(el('p', 'cs-form-error', ctx.explain(page)));
        return;
      }
      if (!page.data.items.length && offset > 0) {
        offset = Math.max(0, offset - PAGE); // the last of its page was deleted
        reload();
        return;
      }
      const columns = [
        { title: t('blacklist_visitor'), cell: visitor },
        { title: t('blacklist_reason'), cell: (b) => el('div', 'cs-line-text', b.reason) },
        { title: t('blacklist_by'), cell: (b) => agents.get(b.added_by) || b.added_by },
        {
          title: t('blacklist_at'),
          cell: (b) => kit.dateTime(b.added_at, ctx.lang),
          className: 'cs-nowrap',
        },
      ];
      if (editing) {
        columns.push({
          title: t('blacklist_actions'),
          cell: (b) => {
            const remove = kit.button('ui-danger', t('blacklist_remove'), () => unlist(b));
            remove.dataset.action = 'remove';
            return remove;
          },
        });
      }
      const move = (at) => {
        offset = at;
        reload();
      };
      const rowData = (b) => ({ visitor: b.visitor_id });
      const list = kit.table(columns, page.data.items, { empty: t('blacklist_empty'), rowData });
      const paging = { offset, limit: PAGE, total: page.data.total };
      results.replaceChildren(list, kit.pager(paging, move));
    }

    function visitor(entry) {
      const cell = el('div');
      if (entry.name) cell.appendChild(el('div', '', entry.name));
      cell.appendChild(el('code', '', entry.visitor_id));
      return cell;
    }

    function addForm() {
      const fields = [
        {
          name: 'visitor_id',
          label: t('blacklist_visitorId'),
          required: true,
          maxLength: 128,
          help: t('blacklist_visitorIdHelp'),
        },
        { name: 'reason', label: t('blacklist_reason'), type: 'textarea', maxLength: 200 },
      ];
      const submit = async (values) => {
        const atId = (message) => ({ errors: [{ path: 'visitor_id', message }] });
        if (!values.visitor_id) return atId(t('blacklist_required'));
        const result = await api('PUT', path(values.visitor_id), { reason: values.reason });
        if (result.status === 404) return atId(t('blacklist_unknown'));
        if (!result.ok) return kit.refusal(result, ctx.explain);
        closeDialog();
        ctx.toast(t('blacklist_added', { visitor: named(result.data) }));
        if (container.isConnected) {
          offset = 0;
          reload();
        }
        return null;
      };
      const node = kit.form(fields, {}, t('blacklist_save'), submit);
      show(kit.dialog(t('blacklist_add'), node));
    }

    function unlist(entry) {
      const title = t('blacklist_removeTitle', { visitor: named(entry) });
      const box = kit.confirm(title, t('blacklist_removeText'), t('blacklist_remove'), async () => {
        const result = await api('DELETE', path(entry.visitor_id));
        if (!result.ok && result.status !== 404) return ctx.explain(result); // 404: gone already
        ctx.toast(t('blacklist_removed', { visitor: named(entry) }));
        if (container.isConnected) reload();
        return null;
      });
      show(box);
    }

    reload();
  }

  kit.register({
    id: 'blacklist',
    title: 'blacklist_nav',
    order: 90,
    probe: BLACKLIST,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
