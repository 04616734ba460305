/* chatflow workbench: the visitor panel (seed 001 联系人信息, seed 000 歷史紀錄). For the
 * conversation on screen it shows the visitor's details (name, phone, email, note), tags and
 * blacklist entry, and the visitor's earlier conversations with their transcripts, through the
 * session-visitor routes of the agent API (docs/agent-api.md). What the account may change
 * follows the `rights` the server answers; the server checks them again on every write.
 * Every text reaches the page through textContent. Exposed as window.WorkbenchVisitor. */
(function (root) {
  'use strict';

  const admin = root.ChatflowAdmin;
  const WB = root.WorkbenchState;
  const { el, button } = admin;

  /** The profile's fields: name, input type, the API's maximum length. */
  const FIELDS = [
    ['name', 'text', 64],
    ['phone', 'tel', 32],
    ['email', 'email', 254],
    ['note', 'textarea', 1000],
  ];
  const HISTORY_DAYS = 30;
  const HISTORY_LIMIT = 20;
  const SEARCH_DELAY_MS = 300;

  /**
   * options: {root, api, t, lang, basePath (the deployment's, for its image URLs), toast,
   * explain, onRenamed(visitorId, name)}. `show(c)` is
   * called with the conversation on screen (or null) after every redraw; it reloads only when
   * the conversation or what the agent may do in it (ringing, serving, finished) changed.
   * `refresh()` reads the visitor again (the tab was opened): what the agent is in the middle
   * of (unsaved details, the tag editor, the blacklist form) is kept as it is.
   */
  function create(options) {
    const { api, t, lang, toast, explain, onRenamed } = options;
    const box = options.root;
    let shown = '';
    let sessionId = null;
    let visitor = null;
    let catalogue = null;
    let editingTags = false;
    let historyQuery = '';
    let searchTimer = null;
    /** Bumped on each load: an answer for a conversation no longer on screen is dropped. */
    let generation = 0;

    const parts = {
      head: el('header', 'wb-v-head'),
      profile: el('section', 'wb-v-profile'),
      tags: el('section', 'wb-v-tags'),
      blacklist: el('section', 'wb-v-blacklist'),
      history: el('section', 'wb-v-history'),
    };

    function path(rest) {
      return `api/v1/sessions/${encodeURIComponent(sessionId)}/visitor${rest || ''}`;
    }

    function when(at, withYear) {
      const date = new Date(at);
      if (Number.isNaN(date.getTime())) return '';
      const day = { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' };
      if (withYear) day.year = 'numeric';
      return date.toLocaleString(lang, day);
    }

    function phaseOf(c) {
      if (c.phase === 'ringing' || c.phase === 'active') return c.phase;
      return 'done';
    }

    function show(c) {
      const key = c ? `${c.id}:${phaseOf(c)}` : '';
      if (key === shown) return;
      const sameSession = c && c.id === sessionId;
      shown = key;
      sessionId = c ? c.id : null;
      editingTags = false;
      if (!sameSession) historyQuery = '';
      if (!c) {
        visitor = null;
        box.replaceChildren(el('p', 'wb-empty', t('pickConversation')));
        return;
      }
      load();
    }

    async function load(refreshing = false) {
      const mine = (generation += 1);
      const result = await api('GET', path());
      if (mine !== generation) return;
      if (!result.ok) {
        visitor = null;
        box.replaceChildren(el('p', 'wb-empty', t('visitorUnavailable')));
        return;
      }
      const before = visitor;
      // on a refresh, a part the agent is working in stays as it is
      const keep = refreshing && before !== null && before.visitor_id === result.data.visitor_id;
      const keepProfile = keep && profileEdited(before);
      const keepTags = keep && editingTags;
      const keepBlacklist = keep && parts.blacklist.querySelector('.wb-v-ban-form') !== null;
      visitor = result.data;
      box.replaceChildren(parts.head, parts.profile, parts.tags, parts.blacklist, parts.history);
      renderHead();
      if (!keepProfile) renderProfile();
      if (!keepTags) renderTags();
      if (!keepBlacklist) renderBlacklist();
      renderHistoryFrame();
      loadHistory();
      if (keep && (before.name || '') !== (visitor.name || '')) {
        onRenamed(visitor.visitor_id, visitor.name || '');
      }
    }

    /** Whether the details form holds something the agent typed and did not save. */
    function profileEdited(held) {
      return Array.from(parts.profile.querySelectorAll('input, textarea')).some(
        (input) => input.value.trim() !== (held[input.name] || ''),
      );
    }

    /** The tab was opened: the visitor as the server has it now. */
    function refresh() {
      if (sessionId) load(true);
    }

    /** After a write: the server's answer is the visitor as it is now. */
    function replace(next) {
      const renamed = (next.name || '') !== (visitor.name || '');
      visitor = next;
      renderHead();
      if (renamed) onRenamed(visitor.visitor_id, visitor.name || '');
    }

    // ---- the details ---------------------------------------------------------------------

    function renderHead() {
      const name = visitor.name || `${t('visitor')} ${visitor.visitor_id.slice(-6)}`;
      const title = el('h3', 'wb-v-name', name);
      const meta = el(
        'p',
        'wb-v-meta',
        `ID ${visitor.visitor_id} · ${t('site')}: ${visitor.site_name || visitor.site_key}`,
      );
      parts.head.replaceChildren(title, meta, admin.visitFacts(visitor.visit, t));
    }

    function renderProfile() {
      const writable = visitor.rights.profile;
      const form = el('form', 'wb-v-form');
      form.noValidate = true;
      const inputs = new Map();
      for (const [name, type, max] of FIELDS) {
        const label = el('label', 'wb-v-field');
        label.appendChild(el('span', null, t(`profile_${name}`)));
        const input = el(type === 'textarea' ? 'textarea' : 'input');
        if (type !== 'textarea') input.type = type;
        else input.rows = 2;
        input.name = name;
        input.maxLength = max;
        input.value = visitor[name] || '';
        input.readOnly = !writable;
        label.appendChild(input);
        inputs.set(name, input);
        form.appendChild(label);
      }
      const error = el('p', 'wb-v-error');
      error.setAttribute('role', 'alert');
      form.appendChild(error);
      if (writable) {
        const save = el('button', 'ui-button ui-primary wb-v-save', t('saveProfile'));
        save.type = 'submit';
        form.appendChild(save);
      } else {
        form.appendChild(el('p', 'wb-v-hint', t('profileReadOnly')));
      }
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!writable) return;
        const body = {};
        for (const [name, input] of inputs) body[name] = input.value.trim() || null;
        error.textContent = '';
        const result = await api('PUT', path(), body);
        if (!result.ok) {
          error.textContent = fieldProblem(result) || explain(result);
          return;
        }
        replace(result.data);
        toast(t('profileSaved'), 'info');
      });
      parts.profile.replaceChildren(form);
    }

    /** A refused field as "Email: value is not a valid email address". */
    function fieldProblem(result) {
      const errors = result.data && Array.isArray(result.data.errors) ? result.data.errors : [];
      return errors
        .map((item) => {
          const field = String(item.path || '')
            .split('.')
            .pop();
          const known = FIELDS.some(([name]) => name === field);
          return known ? `${t(`profile_${field}`)}: ${item.message}` : item.message;
        })
        .join('; ');
    }

    // ---- tags ----------------------------------------------------------------------------

    function renderTags() {
      const nodes = [el('h4', null, t('tags'))];
      if (editingTags && catalogue) {
        nodes.push(tagEditor());
      } else {
        const chips = el('ul', 'wb-v-chips');
        for (const tag of visitor.tags) chips.appendChild(el('li', 'wb-v-chip', tag.name));
        if (!visitor.tags.length) chips.appendChild(el('li', 'wb-v-none', t('noTags')));
        nodes.push(chips);
        if (visitor.rights.tags) nodes.push(button('wb-v-edit-tags', t('editTags'), openTags));
      }
      parts.tags.replaceChildren(...nodes);
    }

    async function openTags() {
      const result = await api('GET', path('/tag-groups'));
      if (!result.ok) {
        toast(explain(result), 'error');
        return;
      }
      catalogue = result.data;
      editingTags = true;
      renderTags();
    }

    /** Checkboxes per group; a single-choice group is radio buttons with "none". */
    function tagEditor() {
      const form = el('form', 'wb-v-tag-form');
      const held = new Set(visitor.tags.map((tag) => tag.id));
      if (!catalogue.length) form.appendChild(el('p', 'wb-v-hint', t('noTagCatalogue')));
      for (const group of catalogue) {
        const set = el('fieldset', 'wb-v-tag-group');
        set.appendChild(el('legend', null, group.name));
        const choices = group.multi ? group.tags : [{ id: '', name: t('noTag') }, ...group.tags];
        const some = group.tags.some((tag) => held.has(tag.id));
        for (const tag of choices) {
          const label = el('label', 'wb-v-tag');
          const input = el('input');
          input.type = group.multi ? 'checkbox' : 'radio';
          input.name = `group-${group.id}`;
          input.value = String(tag.id);
          input.checked = tag.id === '' ? !some : held.has(tag.id);
          label.append(input, document.createTextNode(tag.name));
          set.appendChild(label);
        }
        form.appendChild(set);
      }
      const bar = el('div', 'wb-v-bar');
      const save = el('button', 'ui-button ui-primary wb-v-save-tags', t('saveTags'));
      save.type = 'submit';
      bar.append(
        save,
        button('wb-v-cancel-tags', t('cancel'), () => {
          editingTags = false;
          renderTags();
        }),
      );
      form.appendChild(bar);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const ids = Array.from(form.querySelectorAll('input:checked'))
          .map((input) => Number(input.value))
          .filter((id) => Number.isInteger(id) && id > 0);
        const result = await api('PUT', path('/tags'), { tag_ids: ids });
        if (!result.ok) {
          toast(explain(result), 'error');
          return;
        }
        editingTags = false;
        replace(result.data);
        renderTags();
        toast(t('tagsSaved'), 'info');
      });
      return form;
    }

    // ---- the blacklist -------------------------------------------------------------------

    function renderBlacklist() {
      const entry = visitor.blacklist;
      const nodes = [el('h4', null, t('blacklist'))];
      if (entry) {
        nodes.push(
          el(
            'p',
            'wb-v-banned',
            t('blacklistedBy', { by: entry.added_by, at: when(entry.added_at, true) }),
          ),
        );
        if (entry.reason)
          nodes.push(el('p', 'wb-v-reason', t('blacklistReason', { reason: entry.reason })));
      } else {
        nodes.push(el('p', 'wb-v-none', t('notBlacklisted')));
      }
      if (visitor.rights.blacklist) {
        nodes.push(
          entry
            ? button('wb-v-unban', t('removeBlacklist'), unban)
            : button('ui-danger wb-v-ban', t('addBlacklist'), askBan),
        );
      }
      parts.blacklist.replaceChildren(...nodes);
    }

    function blacklistPath() {
      return `api/v1/blacklist/${encodeURIComponent(visitor.visitor_id)}`;
    }

    function askBan() {
      const form = el('form', 'wb-v-ban-form');
      form.appendChild(el('p', 'wb-v-hint', t('blacklistConfirm')));
      const label = el('label', 'wb-v-field');
      label.appendChild(el('span', null, t('blacklistReasonLabel')));
      const reason = el('input');
      reason.maxLength = 200;
      reason.name = 'reason';
      label.appendChild(reason);
      form.appendChild(label);
      const yes = el('button', 'ui-button ui-danger wb-v-ban-yes', t('addBlacklist'));
      yes.type = 'submit';
      const bar = el('div', 'wb-v-bar');
      bar.append(yes, button('wb-v-ban-no', t('cancel'), renderBlacklist));
      form.appendChild(bar);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const result = await api('PUT', blacklistPath(), { reason: reason.value.trim() });
        if (!result.ok) {
          toast(explain(result), 'error');
          return;
        }
        visitor.blacklist = result.data;
        renderBlacklist();
        toast(t('blacklistAdded'), 'info');
      });
      parts.blacklist.replaceChildren(el('h4', null, t('blacklist')), form);
      reason.focus();
    }

    async function unban() {
      const result = await api('DELETE', blacklistPath());
      if (!result.ok && result.status !== 404) {
        toast(explain(result), 'error');
        return;
      }
      visitor.blacklist = null;
      renderBlacklist();
      toast(t('blacklistRemoved'), 'info');
    }

    // ---- earlier conversations -----------------------------------------------------------

    function renderHistoryFrame() {
      const search = el('input', 'wb-v-search');
      search.type = 'search';
      search.maxLength = 100;
      search.placeholder = t('searchHistory');
      search.setAttribute('aria-label', t('searchHistory'));
      search.value = historyQuery;
      search.addEventListener('input', () => {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(() => {
          historyQuery = search.value.trim();
          loadHistory();
        }, SEARCH_DELAY_MS);
      });
      const list = el('ul', 'wb-v-conversations');
      parts.history.replaceChildren(
        el('h4', null, t('history', { days: HISTORY_DAYS })),
        search,
        list,
      );
    }

    /** A page of the visitor's earlier conversations: the first replaces the list, a later
     * one (`offset`, from "Show more") is added below, skipping any already shown (a
     * conversation that started meanwhile shifts the pages). */
    async function loadHistory(offset = 0) {
      const mine = generation;
      const list = parts.history.querySelector('.wb-v-conversations');
      const q = historyQuery ? `&q=${encodeURIComponent(historyQuery)}` : '';
      const query = `?days=${HISTORY_DAYS}&limit=${HISTORY_LIMIT}&offset=${offset}${q}`;
      const result = await api('GET', path(`/history${query}`));
      if (mine !== generation || !list) return;
      if (!result.ok) {
        if (offset) toast(explain(result), 'error');
        else list.replaceChildren(el('li', 'wb-empty', explain(result)));
        return;
      }
      const { items, total } = result.data;
      const shownIds = new Set(
        offset ? [...list.querySelectorAll('.wb-v-record')].map((li) => li.dataset.session) : [],
      );
      const rows = items.filter((r) => !shownIds.has(r.session_id)).map(historyItem);
      if (!rows.length && !offset)
        rows.push(el('li', 'wb-empty', t(historyQuery ? 'noHistoryMatch' : 'noHistory')));
      const shown = offset + items.length;
      if (total > shown && items.length) {
        const more = el('li', 'wb-v-more', t('historyMore', { total, n: shown }));
        more.appendChild(button('wb-v-more-button', t('showMore'), () => loadHistory(shown)));
        rows.push(more);
      }
      const previousMore = list.querySelector('.wb-v-more');
      if (previousMore) previousMore.remove();
      if (offset) list.append(...rows);
      else list.replaceChildren(...rows);
    }

    function historyItem(record) {
      const item = el('li', 'wb-v-record');
      item.dataset.session = record.session_id;
      const facts = [when(record.started_at), t(`record_${record.status}`)];
      if (record.agents.length) facts.push(record.agents.join(', '));
      if (record.rating !== null && record.rating !== undefined) {
        facts.push(t('rated', { n: record.rating }));
      }
      const open = button('wb-v-record-open', facts.join(' · '), () => toggle(item, record));
      open.setAttribute('aria-expanded', 'false');
      item.appendChild(open);
      return item;
    }

    async function toggle(item, record) {
      const open = item.querySelector('.wb-v-record-open');
      const existing = item.querySelector('.wb-v-transcript');
      if (existing) {
        existing.remove();
        open.setAttribute('aria-expanded', 'false');
        return;
      }
      const q = historyQuery ? `?q=${encodeURIComponent(historyQuery)}` : '';
      const id = encodeURIComponent(record.session_id);
      const result = await api('GET', path(`/history/${id}${q}`));
      if (!result.ok) {
        toast(explain(result), 'error');
        return;
      }
      const wanted = historyQuery.toLocaleLowerCase();
      const lines = el('ol', 'wb-v-transcript');
      for (const message of result.data.messages) {
        const who =
          message.sender === 'agent' && message.agent_account
            ? message.agent_account
            : t(`from_${message.sender}`);
        const line = el('li', `wb-v-line wb-v-from-${message.sender}`);
        if (wanted && message.text.toLocaleLowerCase().includes(wanted))
          line.classList.add('is-hit');
        line.appendChild(el('span', 'wb-v-line-meta', `${who} ${when(message.at)}`));
        line.appendChild(lineText(message.text));
        lines.appendChild(line);
      }
      if (!result.data.messages.length) lines.appendChild(el('li', 'wb-empty', t('noLines')));
      item.appendChild(lines);
      open.setAttribute('aria-expanded', 'true');
      const hit = lines.querySelector('.is-hit');
      if (hit) hit.scrollIntoView({ block: 'nearest' });
    }

    /** A transcript line's text; an image line of this deployment's own image shows the
     * image, as a link to it (anything else that looks like one stays text). */
    function lineText(text) {
      const node = el('span', 'wb-v-line-text');
      const image = WB.imageLine(text, location.href, options.basePath);
      if (!image) {
        node.textContent = text;
        return node;
      }
      const link = el('a', 'wb-v-image-link');
      link.href = image.url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.title = t('openImage');
      const img = el('img', 'wb-v-image');
      img.src = image.url;
      img.alt = t('image');
      img.loading = 'lazy';
      link.appendChild(img);
      node.append(document.createTextNode(image.before), link);
      if (image.after.trim()) node.appendChild(document.createTextNode(image.after));
      return node;
    }

    return { show, refresh, reload: () => (sessionId ? load() : undefined) };
  }

  root.WorkbenchVisitor = { create };
})(window);
