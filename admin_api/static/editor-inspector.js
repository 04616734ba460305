/* chatflow flow editor: the inspector, beside the canvas. For the selected node: its id
 * (renaming it renames every reference), "make it the start", delete, its issues and a form of
 * every field (editor-fields.js); with nothing selected, the flow's own settings. Every text goes
 * in through textContent or form values. Exposed as window.EditorInspector. */
(function (root) {
  'use strict';

  const { el, button } = root.ChatflowAdmin;
  const EditorState = root.EditorState;

  /**
   * `panel`: the inspector's element. `options`: `schema()`, `doc()`, `readOnly()`, `issues()`
   * ({errors, warnings} by node, from EditorState.issuesByNode), `t`, `typeName(type)`,
   * `fieldRow(field, path, value, onChange)`, `commit(doc)`, `renamed(newId)` (before the rename
   * is committed), `remove()` (delete the selected node).
   */
  function create(panel, options) {
    const { schema, doc, t, fieldRow, commit } = options;
    const typeName = (type) => options.typeName(type);

    function heading(text) {
      return el('h2', 'ed-inspector-title', text);
    }

    function flowInspector() {
      const parts = [heading(t('flowSettings')), issueNotes(null)];
      const form = el('div', 'ed-form');
      const onChange = (path, value) => commit(EditorState.setFlowField(schema(), doc(), path, value));
      for (const field of EditorState.flowFields(schema())) {
        if (field.name === 'id') continue;
        form.appendChild(fieldRow(field, [field.name], doc()[field.name], onChange));
      }
      parts.push(form);
      panel.replaceChildren(...parts);
    }

    /** The issues of node `id` (of the flow itself when null), listed above its form. */
    function issueNotes(id) {
      const index = options.issues();
      const of = (found) => (id === null ? found.flow : found.nodes[id] || []);
      const issues = [...of(index.errors), ...of(index.warnings)];
      const list = el('ul', 'ed-node-notes');
      for (const issue of issues) {
        const item = el('li', 'ed-note-item', issue.message);
        list.appendChild(item);
      }
      list.hidden = !issues.length;
      return list;
    }

    function nodeInspector(id) {
      const node = doc().nodes[id];
      const parts = [heading(`${typeName(node.type)} · ${id}`), issueNotes(id)];

      const idRow = el('label', 'ed-row');
      idRow.appendChild(el('span', 'ed-row-name', t('nodeId')));
      const idInput = el('input', 'ed-input');
      idInput.value = id;
      idInput.id = 'ed-node-id';
      idInput.maxLength = 64;
      idInput.readOnly = options.readOnly();
      const idError = el('span', 'ed-field-error');
      idInput.addEventListener('change', () => {
        const wanted = idInput.value.trim();
        if (wanted === id) return;
        const result = EditorState.renameNode(schema(), doc(), id, wanted);
        if (result.error) {
          idError.textContent = t(`rename_${result.error}`);
          return;
        }
        options.renamed(wanted);
        commit(result.doc);
      });
      idRow.appendChild(idInput);
      idRow.appendChild(idError);
      parts.push(idRow);

      const actions = el('div', 'ed-actions');
      if (doc().start !== id) {
        actions.appendChild(
          button('ed-make-start', t('makeStart'), () =>
            commit(EditorState.setFlowField(schema(), doc(), ['start'], id)),
          ),
        );
      }
      const remove = button('ui-danger ed-delete', t('deleteNode'), options.remove);
      actions.appendChild(remove);
      for (const b of actions.children) b.disabled = options.readOnly();
      parts.push(actions);

      const form = el('div', 'ed-form');
      const onChange = (path, value) => commit(EditorState.setField(schema(), doc(), id, path, value));
      for (const field of EditorState.fields(schema(), node.type)) {
        form.appendChild(fieldRow(field, [field.name], node[field.name], onChange));
      }
      parts.push(form);
      panel.replaceChildren(...parts);
    }

    /** The node `id`'s form, or the flow's settings when `id` is null. */
    function render(id) {
      if (id) nodeInspector(id);
      else flowInspector();
    }

    /** The issue notes anew, the form left as it is (what is being typed stays). */
    function renderNotes(id) {
      const notes = panel.querySelector('.ed-node-notes');
      if (notes) notes.replaceWith(issueNotes(id));
    }

    return { render, renderNotes };
  }

  root.EditorInspector = { create };
})(typeof self !== 'undefined' ? self : this);
