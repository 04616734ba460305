/* chatflow admin console: visitor tags (标签, seed 001). Tag groups with their tags; with
 * tags: edit, creating, renaming and deleting groups and tags, and switching a group between
 * single and multiple choice (the API refuses single choice while a visitor holds two of its
 * tags; the refusal is shown on the group). Visitors are tagged from the service records.
 * API: docs/content.md. Every text goes in through textContent or form values. */
(function (root) {
  'use strict';

  const kit = root.ConsoleKit;
  const el = (...args) => kit.el(...args);
  const GROUPS = 'api/v1/tag-groups';
  const TAGS = 'api/v1/tags';

  // One row per string: [key, zh-CN, English].
  const STRINGS = [
    ['tags_nav', '标签', 'Tags'],
    [
      'tags_help',
      '标签分组管理；单选分组中一个访客最多有一个标签。在服务记录中给访客打标签。',
      'Tags come in groups; in a single-choice group a visitor holds at most one tag. Visitors ' +
        'are tagged from the service records.',
    ],
    ['tags_newGroup', '新建标签组', 'New tag group'],
    ['tags_groupName', '标签组名称', 'Group name'],
    ['tags_multi', '可多选', 'Multiple choice'],
    ['tags_single', '单选', 'Single choice'],
    ['tags_multiHelp', '一个访客可以有该组的多个标签', 'A visitor may hold several of its tags'],
    ['tags_initial', '标签', 'Tags'],
    ['tags_initialHelp', '每行一个，可以稍后再添加', 'One per line; you can add more later'],
    ['tags_rename', '重命名', 'Rename'],
    ['tags_renameGroup', '重命名标签组“{name}”', 'Rename the tag group “{name}”'],
    ['tags_renameTag', '重命名标签“{name}”', 'Rename the tag “{name}”'],
    ['tags_toSingle', '改为单选', 'Make single choice'],
    ['tags_toMulti', '改为可多选', 'Make multiple choice'],
    [
      'tags_crowded',
      '有访客同时拥有该组的多个标签，不能改为单选：请先去掉多余的标签。',
      'Some visitors hold several tags of this group, so it cannot become single choice: take ' +
        'the extra tags off first.',
    ],
    ['tags_delete', '删除', 'Delete'],
    ['tags_deleteGroup', '删除标签组“{name}”？', 'Delete the tag group “{name}”?'],
    [
      'tags_deleteGroupText',
      '该组的 {n} 个标签会一起删除，并从所有访客身上去掉。此操作不能撤销。',
      'Its {n} tags go with it and are taken off every visitor. This cannot be undone.',
    ],
    ['tags_deleteTag', '删除标签“{name}”？', 'Delete the tag “{name}”?'],
    [
      'tags_deleteTagText',
      '该标签会从所有访客身上去掉。此操作不能撤销。',
      'It is taken off every visitor. This cannot be undone.',
    ],
    ['tags_tag', '标签', 'Tag'],
    ['tags_actions', '操作', 'Actions'],
    ['tags_newTag', '新标签', 'New tag'],
    ['tags_addTag', '添加标签', 'Add tag'],
    ['tags_noTags', '该组还没有标签。', 'No tags in this group yet.'],
    ['tags_empty', '还没有标签组。', 'No tag groups yet.'],
    ['tags_required', '请填写', 'Required'],
    ['tags_created', '标签组“{name}”已创建', 'Tag group “{name}” created'],
    ['tags_saved', '“{name}”已保存', '“{name}” saved'],
    ['tags_added', '标签“{name}”已添加', 'Tag “{name}” added'],
    ['tags_deleted', '“{name}”已删除', '“{name}” deleted'],
    ['tags_create', '创建', 'Create'],
    ['tags_save', '保存', 'Save'],
  ];
  kit.strings(STRINGS);

  const { show, close: closeDialog } = kit.dialogSlot(); // the dialog this section has open

  const actions = kit.actions;

  function mount(container, ctx) {
    const { t, api } = ctx;
    const editing = ctx.can('tags', 'edit');
    const results = el('div', 'cs-section', el('p', 'cs-empty', t('loading')));
    const items = editing ? [['new', 'ui-primary', t('tags_newGroup'), newGroup]] : [];
    const bar = kit.titleBar(t('tags_nav'), items);
    container.replaceChildren(bar, el('p', 'cs-help', t('tags_help')), results);

    const done = (text) => {
      closeDialog();
      ctx.toast(text);
      if (container.isConnected) reload();
      return null;
    };

    async function reload() {
      const groups = await api('GET', GROUPS);
      if (!container.isConnected) return;
      if (!groups.ok) {
        results.replaceChildren(el('p', 'cs-form-error', ctx.explain(groups)));
        return;
      }
      if (!groups.data.length) results.replaceChildren(el('p', 'cs-empty', t('tags_empty')));
      else results.replaceChildren(...groups.data.map(panel));
    }

    function panel(group) {
      const box = el('div', 'cs-panel cs-tags-group');
      box.dataset.group = String(group.id);
      const head = el('div', 'cs-toolbar');
      const kind = group.multi
        ? el('span', 'cs-badge', t('tags_multi'))
        : el('span', 'cs-badge cs-badge-ok', t('tags_single'));
      head.append(el('h3', '', group.name), kind, el('span', 'cs-spacer'));
      const said = el('p', 'cs-form-error cs-tags-said');
      said.setAttribute('role', 'alert');
      if (editing) {
        const toggle = group.multi ? t('tags_toSingle') : t('tags_toMulti');
        head.appendChild(
          actions(
            [
              ['rename', '', t('tags_rename'), () => renameGroup(group)],
              ['switch', '', toggle, () => switchMulti(group, said)],
              ['delete', 'ui-danger', t('tags_delete'), () => deleteGroup(group)],
            ],
            'cs-row-actions',
          ),
        );
      }
      const columns = [{ title: t('tags_tag'), cell: (tag) => tag.name }];
      if (editing) {
        columns.push({
          title: t('tags_actions'),
          cell: (tag) =>
            actions(
              [
                ['rename-tag', '', t('tags_rename'), () => renameTag(tag)],
                ['delete-tag', 'ui-danger', t('tags_delete'), () => deleteTag(tag)],
              ],
              'cs-row-actions',
            ),
        });
      }
      const rowData = (tag) => ({ tag: tag.id });
      const list = kit.table(columns, group.tags, { empty: t('tags_noTags'), rowData });
      box.append(head, said, list);
      if (editing) box.appendChild(addTag(group, said));
      return box;
    }

    const required = (name) => ({ errors: [{ path: name, message: t('tags_required') }] });

    function newGroup() {
      const fields = [
        { name: 'name', label: t('tags_groupName'), required: true, maxLength: 32 },
        { name: 'multi', label: t('tags_multi'), type: 'checkbox', help: t('tags_multiHelp') },
        { name: 'tags', label: t('tags_initial'), type: 'lines', help: t('tags_initialHelp') },
      ];
      const submit = async (values) => {
        if (!values.name) return required('name');
        const tags = [...new Set(values.tags)];
        const body = { name: values.name, multi: values.multi, tags };
        const result = await api('POST', GROUPS, body);
        if (!result.ok) return kit.refusal(result, ctx.explain, 'name');
        return done(t('tags_created', { name: result.data.name }));
      };
      const form = kit.form(fields, { multi: true }, t('tags_create'), submit);
      show(kit.dialog(t('tags_newGroup'), form));
    }

    /** A dialog asking for a new name; `path` is PATCHed with {name}. */
    function rename(title, label, path, name) {
      const fields = [{ name: 'name', label, required: true, maxLength: 32 }];
      const submit = async (values) => {
        if (!values.name) return required('name');
        const result = await api('PATCH', path, { name: values.name });
        if (!result.ok) return kit.refusal(result, ctx.explain, 'name');
        return done(t('tags_saved', { name: result.data.name }));
      };
      const form = kit.form(fields, { name }, t('tags_save'), submit);
      show(kit.dialog(title, form));
    }

    function renameGroup(group) {
      const title = t('tags_renameGroup', { name: group.name });
      rename(title, t('tags_groupName'), `${GROUPS}/${group.id}`, group.name);
    }

    function renameTag(tag) {
      rename(t('tags_renameTag', { name: tag.name }), t('tags_tag'), `${TAGS}/${tag.id}`, tag.name);
    }

    /** Single or multiple choice; the API's 409 (visitors hold several) is said on the group. */
    async function switchMulti(group, said) {
      said.textContent = '';
      const result = await api('PATCH', `${GROUPS}/${group.id}`, { multi: !group.multi });
      if (!container.isConnected) return;
      if (result.ok) {
        done(t('tags_saved', { name: group.name }));
        return;
      }
      said.textContent = result.status === 409 ? t('tags_crowded') : ctx.explain(result);
    }

    function addTag(group, said) {
      const form = el('form', 'cs-toolbar cs-tags-add');
      form.noValidate = true;
      const name = Object.assign(el('input', 'cs-input'), { maxLength: 32 });
      name.name = 'tag';
      name.placeholder = t('tags_newTag');
      name.setAttribute('aria-label', t('tags_newTag'));
      const go = el('button', 'ui-button', t('tags_addTag'));
      go.type = 'submit';
      go.dataset.action = 'add-tag';
      form.append(name, go);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        said.textContent = '';
        const wanted = name.value.trim();
        if (!wanted) {
          said.textContent = t('tags_required');
          return;
        }
        go.disabled = true;
        const result = await api('POST', `${GROUPS}/${group.id}/tags`, { name: wanted });
        go.disabled = false;
        if (!container.isConnected) return;
        if (!result.ok) {
          const errors = (result.data && result.data.errors) || [];
          const why = result.status === 409 ? result.message : ctx.explain(result);
          said.textContent = [why, ...errors.map((e) => e.message)].join(' ');
          return;
        }
        done(t('tags_added', { name: result.data.name }));
      });
      return form;
    }

    function confirmDelete(title, text, path, name) {
      const box = kit.confirm(title, text, t('tags_delete'), async () => {
        const result = await api('DELETE', path);
        if (!result.ok) return ctx.explain(result);
        return done(t('tags_deleted', { name }));
      });
      show(box);
    }

    function deleteGroup(group) {
      const title = t('tags_deleteGroup', { name: group.name });
      const text = t('tags_deleteGroupText', { n: group.tags.length });
      confirmDelete(title, text, `${GROUPS}/${group.id}`, group.name);
    }

    function deleteTag(tag) {
      const title = t('tags_deleteTag', { name: tag.name });
      confirmDelete(title, t('tags_deleteTagText'), `${TAGS}/${tag.id}`, tag.name);
    }

    reload();
  }

  kit.register({
    id: 'tags',
    title: 'tags_nav',
    order: 95,
    probe: GROUPS,
    mount,
    unmount: closeDialog,
  });
})(typeof self !== 'undefined' ? self : this);
