/* chatflow admin console: what its sections share. A section is one file that calls
 * ConsoleKit.register({...}) and ConsoleKit.strings({...}); console.js logs in, shows the
 * sections the account may use and mounts the one in the address's #hash. The building blocks
 * here (tables, forms, dialogs, downloads) put every text in through textContent or form
 * values, never as markup. Exposed as window.ConsoleKit. */
(function (root) {
  'use strict';

  // Looked up when called, so node can load this file (and the sections) to test their strings.
  const el = (...args) => root.ChatflowAdmin.el(...args);
  const button = (...args) => root.ChatflowAdmin.button(...args);
  const sections = [];
  const messages = { 'zh-CN': {}, en: {} };
  let t = (key) => key; // the page's translator, once the shell hands it over (useTranslator)

  /**
   * The right each section's pages need (the one its probe's route asks for), by section id: the
   * shell does not even probe a section whose right the account lacks, so a limited account's
   * log-in asks for nothing it would be refused. A section may name its own as `feature`; one
   * with neither is probed and its answer decides.
   */
  const FEATURES = {
    records: 'records',
    monitor: 'statistics',
    stats: 'statistics',
    sites: 'sites',
    apps: 'settings',
    groups: 'groups',
    channels: 'channels',
    accounts: 'accounts',
    permissions: 'permission_groups',
    replies: 'quick_replies',
    words: 'sensitive_words',
    blacklist: 'blacklist',
    tags: 'tags',
  };

  /** GET api/v1/agents/me/rights: {owner, rights: {feature: 'view' | 'edit'}, site_scope,
   * agent_scope, scope_groups}; null when unknown (then everything is asked for and the API's
   * refusal decides). */
  let rights = null;

  /** The shell hands over the account's rights once it has read them (null: unknown). */
  function useRights(mine) {
    rights = mine || null;
  }

  /** Whether this account may `level` ('view' or 'edit') `feature`, as the API would answer. */
  function can(feature, level) {
    if (!rights) return true;
    const right = rights.rights[feature];
    return right === 'edit' || (right === 'view' && (level || 'view') === 'view');
  }

  /** Whether the account's rights let it use `section` (its `feature`, else FEATURES'). */
  function mayUse(section) {
    const feature = section.feature || FEATURES[section.id];
    return !feature || can(feature, 'view');
  }

  /**
   * A section: {id (its #hash), title (a string key), order, probe (a GET path: a 403 or 404
   * hides the section), feature? (the right it needs, when FEATURES does not name it),
   * mount(container, ctx), unmount?()}. ctx: {api, t, lang, basePath (the
   * deployment's prefix ending in '/', where api/ and static/ are), toast, explain, kit, me,
   * probe (the answer to the probe, read at log-in), can(feature, level) (what the API would
   * allow: hide what it would refuse), route (the hash's parts after the id), navigate(hash)}.
   * A section that is left has its container taken off the page: an answer that comes after
   * that checks `container.isConnected` and draws nothing.
   */
  function register(section) {
    sections.push(section);
    sections.sort((a, b) => (a.order || 0) - (b.order || 0));
  }

  /** Adds a section's strings: {'zh-CN': {...}, en: {...}}, or rows of [key, zh-CN, en]. */
  function strings(tables) {
    if (Array.isArray(tables)) {
      Object.assign(messages['zh-CN'], Object.fromEntries(tables.map((row) => [row[0], row[1]])));
      Object.assign(messages.en, Object.fromEntries(tables.map((row) => [row[0], row[2]])));
      return;
    }
    for (const lang of Object.keys(tables)) Object.assign(messages[lang] || {}, tables[lang]);
  }

  // The kit's own words: its dialogs' close and cancel, its pager's.
  strings([
    ['close', '关闭', 'Close'],
    ['cancel', '取消', 'Cancel'],
    ['previous', '上一页', 'Previous'],
    ['next', '下一页', 'Next'],
    ['range', '第 {from}-{to} 条，共 {total} 条', '{from}-{to} of {total}'],
    ['visitor', '访客', 'Visitor'],
  ]);

  /** The shell hands over the page's translator, which the kit's own words go through. */
  function useTranslator(translate) {
    t = translate;
  }

  /**
   * A table: `columns` = [{title, cell(row) -> text | Node, className?}], `rows`; `options`:
   * {empty (text when there are no rows), onRow(row) (the row is clickable), rowData(row) (the
   * <tr>'s data-* attributes, {name: value}: how tests and scripts find a row)}.
   */
  function table(columns, rows, options) {
    const opts = options || {};
    const wrap = el('div', 'cs-table-wrap');
    const node = el('table', 'cs-table');
    const head = el('thead');
    const headRow = el('tr');
    for (const column of columns) headRow.appendChild(el('th', column.className, column.title));
    head.appendChild(headRow);
    node.appendChild(head);
    const body = el('tbody');
    for (const row of rows) {
      const tr = el('tr');
      if (opts.rowData) Object.assign(tr.dataset, opts.rowData(row));
      for (const column of columns) {
        const td = el('td', column.className);
        const value = column.cell(row);
        if (value instanceof Node) td.appendChild(value);
        else {
          td.textContent = value === undefined || value === null ? '' : String(value);
          if (isShortWord(td.textContent)) td.classList.add('cs-nowrap');
        }
        tr.appendChild(td);
      }
      if (opts.onRow) {
        tr.classList.add('is-link');
        tr.tabIndex = 0;
        tr.addEventListener('click', (event) => {
          if (!event.target.closest('button, a, input, select')) opts.onRow(row);
        });
        tr.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' && event.target === tr) opts.onRow(row);
        });
      }
      body.appendChild(tr);
    }
    node.appendChild(body);
    wrap.appendChild(node);
    if (!rows.length && opts.empty) wrap.appendChild(el('p', 'cs-empty', opts.empty));
    return wrap;
  }

  /** A cell of one short word (管理员, 全部站点, demo-web) stays on one line: it would otherwise
   * break a character a line when the table is short of room. */
  const isShortWord = (text) => text.length <= 8 && !/\s/.test(text);

  /**
   * A form: `fields` = [{name, label, type ('text', 'number', 'password', 'select',
   * 'checkbox', 'textarea', 'lines' (one value per line), 'date', 'checks' (several of
   * `options`), 'custom' (the section's own `control`: {node, read()})), options ([{value,
   * label}]), required, placeholder, help, min, max, maxLength, readOnly}], `values` the starting
   * values (text is read trimmed, a password as typed); `onSubmit(values)` may return a problem
   * result ({errors: [{path, message}]} or {message}) to show, or nothing: each error under the
   * field its path names (all of them, one per line), the rest above the button. Returns the
   * <form>.
   */
  function form(fields, values, submitLabel, onSubmit) {
    const node = el('form', 'cs-form');
    node.noValidate = true;
    const inputs = new Map();
    const errors = new Map();
    for (const field of fields) {
      // several controls are a group, not one label (its title would tick the first box)
      const group = field.type === 'checks' || field.type === 'custom';
      const row = el(group ? 'div' : 'label', `cs-field cs-field-${field.type || 'text'}`);
      if (group) {
        row.setAttribute('role', 'group');
        row.setAttribute('aria-label', field.label);
      }
      row.appendChild(el('span', 'cs-field-label', field.label));
      const input =
        field.type === 'custom'
          ? field.control.node
          : control(field, values ? values[field.name] : undefined);
      input.dataset.name = field.name;
      row.appendChild(input);
      if (field.help) row.appendChild(el('span', 'cs-help', field.help));
      const error = el('span', 'cs-field-error');
      error.setAttribute('role', 'alert');
      row.appendChild(error);
      inputs.set(field.name, { field, input });
      errors.set(field.name, error);
      node.appendChild(row);
    }
    const general = el('p', 'cs-form-error');
    general.setAttribute('role', 'alert');
    node.appendChild(general);
    const submit = el('button', 'ui-button ui-primary', submitLabel);
    submit.type = 'submit';
    node.appendChild(submit);
    node.addEventListener('submit', async (event) => {
      event.preventDefault();
      for (const error of errors.values()) error.replaceChildren();
      general.textContent = '';
      const out = {};
      for (const [name, { field, input }] of inputs) out[name] = read(field, input);
      submit.disabled = true;
      let problem = null;
      try {
        problem = await onSubmit(out);
      } finally {
        submit.disabled = false;
      }
      if (!problem) return;
      // Every error under its field, one line each (a list's items: the API names each one
      // by its value, or a blank one by its place).
      const unplaced = [];
      for (const item of problem.errors || []) {
        const name = String(item.path || '')
          .split('.')
          .find((part) => errors.has(part));
        if (name) errors.get(name).appendChild(el('span', 'cs-field-error-line', item.message));
        else unplaced.push(item.message);
      }
      general.textContent = [problem.message, ...unplaced].filter(Boolean).join(' ');
    });
    return node;
  }

  /** <option>s of [value, label] pairs; one without a label shows its value. */
  function options(pairs) {
    return pairs.map(([value, label]) => {
      const node = el('option', '', label || value);
      node.value = String(value);
      return node;
    });
  }

  /** A <select> of [value, label] pairs with `value` chosen. */
  function select(pairs, value) {
    const node = el('select', 'cs-input');
    node.append(...options(pairs));
    if (value !== undefined && value !== null) node.value = String(value);
    return node;
  }

  function control(field, value) {
    const type = field.type || 'text';
    let input;
    if (type === 'select') {
      input = select((field.options || []).map((option) => [option.value, option.label]), value);
    } else if (type === 'checks') {
      input = el('span', 'cs-checks');
      const chosen = new Set(Array.isArray(value) ? value.map(String) : []);
      for (const option of field.options || []) {
        const label = el('label', 'cs-check');
        const box = el('input');
        box.type = 'checkbox';
        box.value = String(option.value);
        box.checked = chosen.has(String(option.value));
        label.append(box, document.createTextNode(option.label));
        input.appendChild(label);
      }
    } else if (type === 'textarea' || type === 'lines') {
      input = el('textarea', 'cs-input');
      input.rows = field.rows || 3;
      if (type === 'lines') input.value = Array.isArray(value) ? value.join('\n') : '';
      else input.value = value === undefined || value === null ? '' : String(value);
    } else if (type === 'checkbox') {
      input = el('input', 'cs-check-input');
      input.type = 'checkbox';
      input.checked = Boolean(value);
    } else {
      input = el('input', 'cs-input');
      input.type = type;
      if (value !== undefined && value !== null) input.value = String(value);
      if (field.min !== undefined) input.min = String(field.min);
      if (field.max !== undefined) input.max = String(field.max);
    }
    if (field.placeholder) input.placeholder = field.placeholder;
    if (field.maxLength) input.maxLength = field.maxLength;
    if (field.required) input.required = true;
    if (field.readOnly) input.disabled = true;
    return input;
  }

  function read(field, input) {
    const type = field.type || 'text';
    if (type === 'custom') return field.control.read();
    if (type === 'checkbox') return input.checked;
    if (type === 'checks') {
      return [...input.querySelectorAll('input:checked')].map((box) => box.value);
    }
    if (type === 'lines') {
      return input.value
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
    }
    if (type === 'number') return input.value === '' ? null : Number(input.value);
    if (type === 'password') return input.value; // as typed: a space is the API's to refuse
    return input.value.trim();
  }

  /** A modal dialog holding `content`; returns {close()}. Esc and the close button close it. */
  function dialog(title, content) {
    const shade = el('div', 'cs-shade');
    const box = el('div', 'cs-dialog');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    const head = el('div', 'cs-dialog-head');
    head.appendChild(el('h2', '', title));
    const close = () => {
      shade.remove();
      document.removeEventListener('keydown', onKey);
    };
    const onKey = (event) => {
      if (event.key === 'Escape') close();
    };
    const x = button('cs-dialog-close', '×', close);
    x.setAttribute('aria-label', t('close'));
    head.appendChild(x);
    box.append(head, content);
    shade.appendChild(box);
    shade.addEventListener('click', (event) => {
      if (event.target === shade) close();
    });
    document.addEventListener('keydown', onKey);
    document.body.appendChild(shade);
    const first = box.querySelector('input, select, textarea');
    if (first) first.focus();
    return { close };
  }

  /**
   * Asks before a step that cannot be undone: `text`, a danger button saying `confirmLabel` and
   * a cancel button. `run()` answers nothing when done (the dialog closes) or what to show in the
   * dialog instead, text or a Node (a refusal). Returns {close()}.
   */
  function confirm(title, text, confirmLabel, run) {
    const body = el('div', 'cs-confirm');
    const said = el('div', 'cs-form-error');
    said.setAttribute('role', 'alert');
    const row = el('div', 'cs-actions');
    let box = null;
    const yes = button('ui-danger', confirmLabel, async () => {
      yes.disabled = true;
      let answer = null;
      try {
        answer = await run();
      } finally {
        yes.disabled = false;
      }
      if (!answer) box.close();
      else said.replaceChildren(answer instanceof Node ? answer : String(answer));
    });
    yes.dataset.action = 'confirm';
    const no = button('', t('cancel'), () => box.close());
    no.dataset.action = 'cancel';
    row.append(yes, no);
    body.append(el('p', '', text), said, row);
    box = dialog(title, body);
    return box;
  }

  /** Fetches `path` with the token and saves the answer as a file (an export). */
  async function download(api, path, fallbackName) {
    const result = await api('GET', path);
    if (!result.ok) return result;
    const disposition = result.response.headers.get('Content-Disposition') || '';
    const named =
      /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)/i.exec(disposition);
    const name = named ? decodeURIComponent(named[1]) : fallbackName;
    root.ChatflowAdmin.saveFile(await result.response.blob(), name);
    return result;
  }

  /** A row of buttons, each with a `data-action` (tests find them by it): `items` are
   * [action, className, label, onClick]. */
  function actions(items, className) {
    const row = el('div', `cs-actions ${className || ''}`.trim());
    for (const [action, style, label, onClick] of items) {
      const node = button(style, label, onClick);
      node.dataset.action = action;
      row.appendChild(node);
    }
    return row;
  }

  /** A section's heading: its `title` and, at the right, the buttons of `items` (as actions). */
  function titleBar(title, items) {
    const bar = el('div', 'cs-toolbar');
    bar.append(el('h2', '', title), el('span', 'cs-spacer'));
    if (items.length) bar.appendChild(actions(items));
    return bar;
  }

  /** The one dialog a section keeps open: `show(box)` closes the one before. */
  function dialogSlot() {
    let open = null;
    const show = (box) => {
      if (open) open.close();
      open = box;
    };
    return { show, close: () => show(null) };
  }

  /**
   * What kit.form shows for a refused call: the API's placed errors of a 422 or a 409 (an
   * account name or staff number taken); a 409 `conflict` (a key or id taken) under
   * `takenField` when given; another 409's message as it is; the rest worded by
   * `explain(result)`.
   */
  function refusal(result, explain, takenField) {
    const errors = result.data && Array.isArray(result.data.errors) ? result.data.errors : [];
    if ((result.status === 422 || result.status === 409) && errors.length) return { errors };
    if (result.status === 409 && result.code === 'conflict' && takenField) {
      return { errors: [{ path: takenField, message: result.message }] };
    }
    return { message: result.status === 409 ? result.message : explain(result) };
  }

  /**
   * The merchant's sites, agent groups and agents by name, as Maps of key -> name (the key where
   * there is no name): what any account may read. Without the `sites` right the sites are not
   * asked for (the API would refuse): they are the groups' site keys, as far as the account's
   * site scope reaches. For the pickers and tables of records and statistics.
   */
  async function names(api) {
    const refused = { ok: false };
    const [sites, groups, agents] = await Promise.all([
      can('sites') ? api('GET', 'api/v1/admin/sites') : refused,
      api('GET', 'api/v1/agents/groups'),
      api('GET', 'api/v1/agents?include_offline=true'),
    ]);
    const groupList = groups.ok ? groups.data : [];
    const agentList = agents.ok ? agents.data : [];
    const scope = rights && rights.site_scope ? new Set(rights.site_scope) : null;
    const keys = [...new Set(groupList.flatMap((g) => g.sites))].filter(
      (key) => !scope || scope.has(key),
    );
    const siteList = sites.ok
      ? sites.data.map((s) => [s.key, s.name || s.key])
      : keys.sort().map((key) => [key, key]);
    return {
      sites: new Map(siteList),
      groups: new Map(groupList.map((g) => [g.id, g.name || g.id])),
      agents: new Map(agentList.map((a) => [a.account, a.nickname || a.account])),
    };
  }

  const pad = (n) => String(n).padStart(2, '0');

  /** YYYY-MM-DD of `date` in the browser's zone (what a date input holds). */
  function localDay(date) {
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  /** Local midnight of 'YYYY-MM-DD' plus `days`, as ISO with the browser's offset on that date:
   * how the records and statistics routes are asked for whole local days. */
  function midnight(day, days) {
    const [y, m, d] = day.split('-').map(Number);
    const at = new Date(y, m - 1, d + (days || 0));
    const offset = -at.getTimezoneOffset();
    const abs = Math.abs(offset);
    const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    return `${localDay(at)}T00:00:00${zone}`;
  }

  /**
   * A visitor's name as the workbench gives it (workbench-state.js `visitorLabel`): the profile's
   * name, else 访客 and the last six characters of the id. One visitor, one name everywhere.
   */
  function visitorName(name, visitorId) {
    if (name) return name;
    return visitorId ? `${t('visitor')} ${String(visitorId).slice(-6)}` : t('visitor');
  }

  /** A moment (ISO text or a Date) as every section shows one: date and 24-hour time, seconds
   * included, in the page's language (2026/11/22 10:20:01; 11/22/2026, 10:20:01), the time
   * alone with `timeOnly` (a transcript's lines); '' for none. */
  function dateTime(iso, lang, timeOnly) {
    if (!iso) return '';
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return String(iso);
    const day = timeOnly ? {} : { year: 'numeric', month: '2-digit', day: '2-digit' };
    const time = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
    return at.toLocaleString(lang, { ...day, ...time });
  }

  /** The browser's IANA zone, for the times an export writes. */
  const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

  /** "12 of 240" paging: `page` = {offset, limit, total}; `go(offset)`. */
  function pager(page, go) {
    const bar = el('div', 'cs-pager');
    const { offset, limit, total } = page;
    if (!total) return bar; // the table says there is nothing; no "0-0 of 0"
    const range = { from: offset + 1, to: Math.min(total, offset + limit), total };
    bar.appendChild(el('span', 'cs-pager-text', t('range', range)));
    const back = button('', t('previous'), () => go(Math.max(0, offset - limit)));
    back.disabled = offset <= 0;
    const next = button('', t('next'), () => go(offset + limit));
    next.disabled = offset + limit >= total;
    bar.append(back, next);
    return bar;
  }

  root.ConsoleKit = {
    sections,
    messages,
    register,
    strings,
    useTranslator,
    useRights,
    can,
    mayUse,
    table,
    form,
    dialog,
    confirm,
    download,
    pager,
    actions,
    titleBar,
    dialogSlot,
    refusal,
    names,
    select,
    options,
    localDay,
    midnight,
    dateTime,
    timeZone,
    visitorName,
    el,
    button,
  };
})(typeof self !== 'undefined' ? self : this);
