/* chatflow workbench: quick replies (seed 004 快捷回复, seed 000 bound to the agent). The side
 * column's list with its search, and the composer's '#' lookup: type '#' and a few letters,
 * ↑/↓ choose, Enter or Tab insert, Esc closes. A reply is put at the caret only while the
 * agent serves the conversation on screen. Text reaches the page through textContent.
 * Exposed as window.WorkbenchReplies. */
(function (root) {
  'use strict';

  const { el, button } = root.ChatflowAdmin;
  const WB = root.WorkbenchState;
  const SUGGEST_DELAY_MS = 150;
  const SEARCH_DELAY_MS = 250;

  /**
   * options: {api, t, input (the composer's textarea), suggest (its list), list, search (the
   * side column's), canInsert(), onForbidden()}: the last is called when the account may not
   * read quick replies. Nothing is asked of the server till `allow(true)` (the account's
   * rights hold `quick_replies`), nor after `allow(false)`.
   */
  function create(options) {
    const { api, t, input, canInsert } = options;
    let suggestTimer = null;
    let searchTimer = null;
    let suggestions = [];
    let index = 0;
    let allowed = false;

    function allow(flag) {
      allowed = Boolean(flag);
      clearTimeout(searchTimer);
      if (!allowed) {
        hide();
        options.list.replaceChildren();
      }
    }

    function put(start, end, content) {
      const next = WB.insertReply(input.value, start, end, content);
      input.value = next.text;
      input.setSelectionRange(next.caret, next.caret);
      input.focus();
    }

    // ---- the '#' lookup ------------------------------------------------------------------

    /** After each keystroke in the composer. */
    function onInput() {
      clearTimeout(suggestTimer);
      const found = allowed && WB.hashQuery(input.value, input.selectionStart);
      if (!found) {
        hide();
        return;
      }
      suggestTimer = setTimeout(() => lookUp(found), SUGGEST_DELAY_MS);
    }

    async function lookUp(found) {
      if (!allowed) return;
      const query = encodeURIComponent(found.query);
      const result = await api('GET', `api/v1/quick-replies/suggest?prefix=${query}&limit=8`);
      if (!result.ok || result.data.length === 0) {
        hide();
        return;
      }
      suggestions = result.data.map((reply) => ({ reply, found }));
      index = 0;
      render();
    }

    function render() {
      options.suggest.replaceChildren(
        ...suggestions.map(({ reply }, i) => {
          const item = el('li', i === index ? 'is-active' : null);
          item.setAttribute('role', 'option');
          item.setAttribute('aria-selected', String(i === index));
          item.appendChild(el('strong', null, reply.title));
          item.appendChild(el('span', null, reply.content));
          item.addEventListener('mousedown', (event) => {
            event.preventDefault();
            pick(i);
          });
          return item;
        }),
      );
      options.suggest.hidden = suggestions.length === 0;
    }

    function hide() {
      suggestions = [];
      options.suggest.hidden = true;
      options.suggest.replaceChildren();
    }

    function pick(i) {
      const chosen = suggestions[i];
      if (!chosen) return;
      put(chosen.found.start, input.selectionStart, chosen.reply.content);
      hide();
    }

    /** The composer's keys while the lookup is open; true when the key was the lookup's. */
    function onKeyDown(event) {
      if (options.suggest.hidden || !suggestions.length) return false;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        const step = event.key === 'ArrowDown' ? 1 : suggestions.length - 1;
        index = (index + step) % suggestions.length;
        render();
      } else if (event.key === 'Enter' || event.key === 'Tab') {
        pick(index);
      } else if (event.key === 'Escape') {
        hide();
        return true;
      } else {
        return false;
      }
      event.preventDefault();
      return true;
    }

    // ---- the side column's list ----------------------------------------------------------

    async function load(q) {
      if (!allowed) return;
      const query = q ? `&q=${encodeURIComponent(q)}` : '';
      const result = await api('GET', `api/v1/quick-replies?limit=200${query}`);
      if (result.status === 403) {
        allow(false);
        options.onForbidden();
        return;
      }
      const items = result.ok ? result.data.items : [];
      if (items.length === 0) {
        options.list.replaceChildren(el('li', 'wb-empty', t('noReplies')));
        return;
      }
      options.list.replaceChildren(
        ...items.map((reply) => {
          const item = el('li', 'wb-reply');
          const choose = button('wb-reply-pick', null, () => {
            if (canInsert()) put(input.selectionStart, input.selectionEnd, reply.content);
          });
          const scope = t(reply.scope === 'team' ? 'team' : 'personal');
          const heading = reply.category ? `${reply.category} · ${reply.title}` : reply.title;
          choose.appendChild(el('strong', null, heading));
          choose.appendChild(el('span', 'wb-reply-scope', scope));
          choose.appendChild(el('span', 'wb-reply-content', reply.content));
          item.appendChild(choose);
          return item;
        }),
      );
    }

    options.search.addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => load(options.search.value.trim()), SEARCH_DELAY_MS);
    });
    input.addEventListener('blur', () => setTimeout(hide, 100));

    return { allow, load, onInput, onKeyDown, hide };
  }

  root.WorkbenchReplies = { create };
})(window);
