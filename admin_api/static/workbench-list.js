/* chatflow workbench: the conversation list (the left column). Ringing offers with their
 * countdown and Accept / Decline, then the pinned, then the visitors waiting for an answer,
 * then the rest (the order is WorkbenchState's `sorted`); each item with the visitor's name,
 * its marks, group, phase, wait, last line and unread badge (a dot when muted); the search
 * over them; the tab's title. Every text goes in through textContent.
 * Exposed as window.WorkbenchList. */
(function (root) {
  'use strict';

  const WB = root.WorkbenchState;
  const { el, button } = root.ChatflowAdmin;

  /**
   * options: {els (list, listEmpty, listSearch), t, board() (the state now: a log-out makes a
   * new one), visitorName(c), groupName(id), lastLine(c), open(id), accept(id), decline(id)}.
   */
  function create(options) {
    const { els, t } = options;
    /** The wait level each listed conversation was drawn with: tick redraws when one moves. */
    let waitsShown = new Map();

    function phaseText(c, now) {
      if (c.phase === 'ringing') return t('ringing', { seconds: WB.secondsLeft(c, now) });
      if (c.phase === 'ended') return t('endedBy', { by: t(`closed_${c.closedBy || ''}`) });
      if (c.phase === 'gone') return goneText(c);
      return t('serving');
    }

    function goneText(c) {
      const gone = c.goneTo || {};
      if (gone.left) return t('left');
      if (gone.elsewhere) return t('elsewhere');
      return t('transferredTo', { to: gone.agent || options.groupName(gone.group || '') });
    }

    /** "Waiting 3 min" for a `wait` (WB.waitOf) of a minute or more (seed 003), else ''. */
    function waitText(wait, now) {
      if (!wait.level) return '';
      const minutes = Math.floor((now - wait.since) / 60000);
      if (minutes < 60) return t('waitingMinutes', { m: minutes });
      return t('waitingHours', { h: Math.floor(minutes / 60), m: minutes % 60 });
    }

    function item(c, now, selected, wait) {
      const node = el('li', `wb-item wb-phase-${c.phase}`);
      node.dataset.session = c.id;
      if (c.id === selected) node.classList.add('is-selected');
      node.classList.toggle('is-pinned', c.pinned);
      node.classList.toggle('is-muted', c.muted);
      const open = button('wb-item-open', null, () => options.open(c.id));
      const name = open.appendChild(el('span', 'wb-item-name', options.visitorName(c)));
      for (const kind of ['pinned', 'muted']) {
        if (c[kind]) name.appendChild(el('span', `wb-mark wb-mark-${kind}`, t(`mark_${kind}`)));
      }
      open.appendChild(el('span', 'wb-item-group', options.groupName(c.group)));
      open.appendChild(el('span', 'wb-item-phase', phaseText(c, now)));
      const waiting = waitText(wait, now);
      if (waiting) open.appendChild(el('span', `wb-wait wb-wait-${wait.level}`, waiting));
      const last = options.lastLine(c);
      if (last) open.appendChild(el('span', 'wb-item-last', last));
      const badge = WB.unreadLabel(c.unread);
      if (badge && c.muted) {
        const dot = open.appendChild(el('span', 'wb-badge wb-badge-dot'));
        dot.title = t('unreadMuted', { n: badge });
        dot.setAttribute('aria-label', dot.title);
      } else if (badge) open.appendChild(el('span', 'wb-badge', badge));
      node.appendChild(open);
      if (c.phase === 'ringing') {
        node.appendChild(button('ui-primary wb-accept', t('accept'), () => options.accept(c.id)));
        node.appendChild(button('wb-decline', t('decline'), () => options.decline(c.id)));
      }
      return node;
    }

    /** The list as the board holds it now, filtered by the search box; and the tab's title. */
    function render(now) {
      const board = options.board();
      const query = els.listSearch.value;
      const shown = board
        .sorted(now)
        .filter((c) => WB.conversationMatches(c, query, options.visitorName(c)));
      const waits = new Map(shown.map((c) => [c.id, WB.waitOf(c, now)]));
      waitsShown = new Map([...waits].map(([id, wait]) => [id, wait.level]));
      const items = shown.map((c) => item(c, now, board.state.selected, waits.get(c.id)));
      els.list.replaceChildren(...items);
      els.listEmpty.hidden = items.length > 0;
      els.listEmpty.textContent = t(board.state.conversations.size ? 'noMatch' : 'noConversations');
      const n = board.attention();
      document.title = n > 0 ? t('unreadTitle', { n: WB.unreadLabel(n) }) : t('title');
    }

    /** Once a second: the countdowns and waits; a wait that reached its next level moves its
     * conversation up the list. */
    function tick(now) {
      const board = options.board();
      for (const [id, level] of waitsShown) {
        const c = board.state.conversations.get(id);
        if (c && WB.waitLevel(c, now) !== level) {
          render(now);
          return; // the new drawing has the new texts
        }
      }
      for (const node of els.list.querySelectorAll('.wb-item')) {
        const c = board.state.conversations.get(node.dataset.session);
        if (!c) continue;
        const wait = node.querySelector('.wb-wait');
        if (wait) wait.textContent = waitText(WB.waitOf(c, now), now);
        const phase = node.querySelector('.wb-item-phase');
        if (phase && c.phase === 'ringing') phase.textContent = phaseText(c, now);
      }
    }

    return { render, tick, phaseText };
  }

  root.WorkbenchList = { create };
})(window);
