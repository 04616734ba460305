/* chatflow flow editor: the inspector's form controls. Each field of a node (a Field of
 * EditorState.fields: its kind, default, required mark and description) becomes a labelled
 * control; lists get add / move / remove, mappings name-and-value rows, anything else JSON
 * text. A change calls `onChange(path, value)`; the page turns that into an EditorState edit.
 * Values go in through `.value` and `textContent`, never as markup. Exposed as
 * window.EditorFields. */
(function (root) {
  'use strict';

  const { el, button } = root.ChatflowAdmin;
  const EditorState = root.EditorState;

  /**
   * `options`: `t(key, vars)` translates, `help(field)` is a field's description in the page's
   * language, `readOnly()` says whether controls are disabled, `nodes()` lists the node ids a
   * reference may name.
   */
  function create(options) {
    const t = options.t;
    const help = (field) => (options.help ? options.help(field) : field.description || '');

    /** One labelled control for `field` (a Field of EditorState.fields) holding `value`. */
    function fieldRow(field, path, value, onChange) {
      const row = el('div', `ed-row ed-kind-${field.kind}`);
      const name = el('label', 'ed-row-name', field.name);
      if (field.required) name.appendChild(el('span', 'ed-required', ' *'));
      const described = help(field);
      name.title = described;
      row.appendChild(name);
      if (described) row.title = described;
      const control = fieldControl(field, path, value, onChange);
      const inputId = `ed-f-${path.join('-')}`;
      if (control.matches('input, select, textarea')) {
        control.id = inputId;
        name.htmlFor = inputId;
      }
      row.appendChild(control);
      return row;
    }

    function placeholderFor(field) {
      if (field.default === undefined || field.default === null) return '';
      return typeof field.default === 'string' ? field.default : JSON.stringify(field.default);
    }

    function fieldControl(field, path, value, onChange) {
      const kind = field.kind;
      if (kind === 'text') {
        const long = /template/i.test(field.description || '') || field.name === 'description';
        const input = el(long ? 'textarea' : 'input', 'ed-input');
        if (long) input.rows = 2;
        input.value = value === undefined || value === null ? '' : String(value);
        input.placeholder = placeholderFor(field);
        input.addEventListener('change', () => onChange(path, input.value));
        return lock(input);
      }
      if (kind === 'integer' || kind === 'number') {
        const input = el('input', 'ed-input');
        input.type = 'number';
        if (field.minimum !== undefined) input.min = String(field.minimum);
        if (field.maximum !== undefined) input.max = String(field.maximum);
        input.step = kind === 'integer' ? '1' : 'any';
        input.value = value === undefined || value === null ? '' : String(value);
        input.placeholder = placeholderFor(field);
        input.addEventListener('change', () =>
          onChange(path, input.value === '' ? null : Number(input.value)),
        );
        return lock(input);
      }
      if (kind === 'boolean') {
        const input = el('input', 'ed-check');
        input.type = 'checkbox';
        input.checked = value === undefined || value === null ? Boolean(field.default) : value;
        input.addEventListener('change', () => onChange(path, input.checked));
        return lock(input);
      }
      if (kind === 'enum' || kind === 'ref') {
        const select = el('select', 'ed-input');
        const choices = kind === 'enum' ? field.enum || [] : options.nodes();
        const entries = [];
        if (!field.required || kind === 'ref') {
          const none = el('option', '', kind === 'ref' ? t('noTarget') : placeholderFor(field));
          none.value = '';
          entries.push(none);
        }
        for (const choice of choices) {
          const option = el('option', '', String(choice));
          option.value = String(choice);
          entries.push(option);
        }
        if (value && !choices.includes(value)) {
          const option = el('option', '', t('missingTarget', { id: value }));
          option.value = String(value);
          entries.push(option);
        }
        select.replaceChildren(...entries);
        select.value = value === undefined || value === null ? '' : String(value);
        select.addEventListener('change', () => onChange(path, select.value || null));
        return lock(select);
      }
      if (kind === 'strings') {
        const input = el('textarea', 'ed-input');
        input.rows = 3;
        input.value = Array.isArray(value) ? value.join('\n') : '';
        input.placeholder = t('onePerLine');
        input.addEventListener('change', () => {
          const lines = input.value
            .split('\n')
            .map((s) => s.trim())
            .filter(Boolean);
          onChange(path, lines.length ? lines : null);
        });
        return lock(input);
      }
      if (kind === 'enums') {
        const box = el('div', 'ed-enums');
        const chosen = new Set(Array.isArray(value) ? value : []);
        for (const choice of field.enum || []) {
          const label = el('label', 'ed-enum');
          const input = el('input', 'ed-check');
          input.type = 'checkbox';
          input.checked = chosen.has(choice);
          input.disabled = options.readOnly();
          input.addEventListener('change', () => {
            if (input.checked) chosen.add(choice);
            else chosen.delete(choice);
            onChange(
              path,
              (field.enum || []).filter((c) => chosen.has(c)),
            );
          });
          label.appendChild(input);
          label.appendChild(document.createTextNode(String(choice)));
          box.appendChild(label);
        }
        return box;
      }
      if (kind === 'list') return listControl(field, path, value, onChange);
      if (kind === 'map') return mapControl(field, path, value, onChange);
      if (kind === 'object') {
        const box = el('div', 'ed-object');
        const inner = value && typeof value === 'object' ? value : {};
        for (const sub of field.item || []) {
          box.appendChild(fieldRow(sub, path.concat([sub.name]), inner[sub.name], onChange));
        }
        return box;
      }
      return jsonControl(field, path, value, onChange);
    }

    function lock(control) {
      control.disabled = options.readOnly();
      return control;
    }

    function listControl(field, path, value, onChange) {
      const box = el('div', 'ed-list');
      const items = Array.isArray(value) ? value : [];
      items.forEach((item, i) => {
        const entry = el('fieldset', 'ed-item');
        entry.appendChild(el('legend', '', `${i + 1}`));
        const itemValue = item && typeof item === 'object' ? item : {};
        for (const sub of field.item || []) {
          const subPath = path.concat([i, sub.name]);
          entry.appendChild(fieldRow(sub, subPath, itemValue[sub.name], onChange));
        }
        const tools = el('div', 'ed-item-tools');
        const up = button('ed-up', '↑', () => onChange(path, swap(items, i, i - 1)));
        up.setAttribute('aria-label', t('moveUp'));
        up.disabled = options.readOnly() || i === 0;
        const down = button('ed-down', '↓', () => onChange(path, swap(items, i, i + 1)));
        down.setAttribute('aria-label', t('moveDown'));
        down.disabled = options.readOnly() || i === items.length - 1;
        const drop = button('ed-remove', t('remove'), () =>
          onChange(
            path,
            items.filter((_, j) => j !== i),
          ),
        );
        drop.disabled = options.readOnly() || items.length <= (field.minItems || 0);
        tools.append(up, down, drop);
        entry.appendChild(tools);
        box.appendChild(entry);
      });
      const add = button('ed-add', t('addItem'), () =>
        onChange(path, items.concat([EditorState.starter({ kind: 'object', item: field.item })])),
      );
      add.disabled = options.readOnly();
      box.appendChild(add);
      return box;
    }

    function swap(items, i, j) {
      const out = items.slice();
      [out[i], out[j]] = [out[j], out[i]];
      return out;
    }

    function mapControl(field, path, value, onChange) {
      const box = el('div', 'ed-map');
      const entries = value && typeof value === 'object' ? Object.entries(value) : [];
      const valueField = field.value || { kind: 'json', name: '' };
      const rebuild = (list) => onChange(path, list.length ? Object.fromEntries(list) : null);
      entries.forEach(([key, entryValue], i) => {
        const entry = el('div', 'ed-map-entry');
        const keyInput = el('input', 'ed-input ed-map-key');
        keyInput.value = key;
        keyInput.setAttribute('aria-label', t('key'));
        keyInput.disabled = options.readOnly();
        keyInput.addEventListener('change', () => {
          const wanted = keyInput.value.trim();
          if (!wanted || entries.some(([k], j) => k === wanted && j !== i)) {
            keyInput.value = key;
            return;
          }
          rebuild(entries.map(([k, v], j) => (j === i ? [wanted, v] : [k, v])));
        });
        entry.appendChild(keyInput);
        const setValue = (subPath, newValue) => {
          if (subPath.length === path.length + 1) {
            rebuild(entries.map(([k, v], j) => (j === i ? [k, newValue] : [k, v])));
          } else onChange(subPath, newValue);
        };
        entry.appendChild(fieldControl(valueField, path.concat([key]), entryValue, setValue));
        const drop = button('ed-remove', t('remove'), () =>
          rebuild(entries.filter((_, j) => j !== i)),
        );
        drop.disabled = options.readOnly();
        entry.appendChild(drop);
        box.appendChild(entry);
      });
      const add = button('ed-add', t('addEntry'), () => {
        let n = entries.length + 1;
        while (entries.some(([k]) => k === `key${n}`)) n += 1;
        rebuild(entries.concat([[`key${n}`, EditorState.starter(valueField)]]));
      });
      add.disabled = options.readOnly();
      box.appendChild(add);
      return box;
    }

    function jsonControl(field, path, value, onChange) {
      const wrap = el('div', 'ed-json');
      const input = el('textarea', 'ed-input ed-code');
      input.rows = 3;
      input.spellcheck = false;
      input.value = value === undefined ? '' : JSON.stringify(value, null, 2);
      input.placeholder = placeholderFor(field);
      const error = el('span', 'ed-field-error');
      input.addEventListener('change', () => {
        if (input.value.trim() === '') {
          onChange(path, null);
          return;
        }
        try {
          onChange(path, JSON.parse(input.value));
          error.textContent = '';
        } catch (_) {
          error.textContent = t('badJson');
        }
      });
      input.disabled = options.readOnly();
      wrap.append(input, error);
      return wrap;
    }

    return { fieldRow };
  }

  root.EditorFields = { create };
})(typeof self !== 'undefined' ? self : this);
