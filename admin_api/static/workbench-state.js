/* chatflow workbench: what the agent's screen holds, with no DOM and no I/O of its own.
 * workbench.js feeds it the agent websocket's frames (docs/agent-api.md) and draws what it
 * holds; the tests feed it frames directly. Lines are kept by seq, so a replayed transcript
 * (after `assigned`, after a reconnect) never doubles a line. Exposed as window.WorkbenchState. */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.WorkbenchState = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const TYPING_VISIBLE_MS = 5000;
  const LINE_LIMIT = 500;
  const STATUSES = ['free', 'busy', 'rest', 'arrange', 'not_ready'];
  /** The statuses an agent gives a reason for (shown to colleagues); the others carry none. */
  const REASON_STATUSES = ['busy', 'rest', 'not_ready'];
  const PHASE_ORDER = { ringing: 0, active: 1, ended: 2, gone: 2 };
  /** Pinned and muted conversations (seed 001 置顶聊天, 消息免打扰): the server keeps them per
   * account (`/api/v1/agents/me/marks`, its newest 200); the page holds its copy here. */
  const MARK_KINDS = ['pinned', 'muted'];
  /** Seconds a visitor has waited for an agent's answer at which the list tells, then warns,
   * then alarms (seed 003 shows 30 min / 1 h / 2 h for messaging; a live chat is shorter). */
  const WAIT_LEVELS = [60, 300, 1800];
  /** Milliseconds past an offer's countdown after which the page asks the server whether it
   * still rings (its `auto_transfer` may have been lost, or another tab declined it). */
  const RING_GRACE_MS = 3000;
  /** What an image line of a record's transcript says before the image's URL (the server's
   * `[图片] <url>`, engine/records.py). */
  const IMAGE_LINE = /^(\[图片\] )(\S+)([\s\S]*)$/u;

  /** The storage key under which a browser kept an account's marks before the server did
   * (read once, to send them to the server: see unsentMarks). */
  function marksKey(account) {
    return `chatflow.workbench.marks.${account}`;
  }

  /** Stored marks (JSON text, or anything else) as session id -> {pinned, muted}, oldest
   * first; what is not a well-formed entry is dropped, so a damaged store breaks nothing. */
  function parseMarks(text) {
    const marks = new Map();
    let stored;
    try {
      stored = JSON.parse(String(text || ''));
    } catch (_) {
      return marks;
    }
    if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return marks;
    for (const [id, value] of Object.entries(stored)) {
      if (!value || typeof value !== 'object') continue;
      const mark = { pinned: value.pinned === true, muted: value.muted === true };
      if (mark.pinned || mark.muted) marks.set(id, mark);
    }
    return marks;
  }

  /** The marks this browser kept (`text`, see parseMarks) of conversations the server's
   * marks (`rows`, as GET /agents/me/marks answers) do not name: `[[session id, {pinned,
   * muted}]]`, oldest first, to send to the server once. The server's own always win. */
  function unsentMarks(text, rows) {
    const known = new Set((Array.isArray(rows) ? rows : []).map((row) => row && row.session_id));
    return Array.from(parseMarks(text)).filter(([id]) => !known.has(id));
  }

  /** A server mark (or a part of one) as {pinned?, muted?}: only the booleans it holds. */
  function markOf(value) {
    const mark = {};
    if (!value || typeof value !== 'object') return mark;
    for (const kind of MARK_KINDS) if (typeof value[kind] === 'boolean') mark[kind] = value[kind];
    return mark;
  }

  /** The end of an id as the workbench shows it: its last six characters. */
  function shortId(id) {
    return String(id || '').slice(-6);
  }

  /**
   * The name the workbench gives a conversation's visitor, the same while it rings and once
   * accepted: the profile's name, else `word` (访客) and the end of the visitor id, else (the
   * visitor not read yet) `word` alone. Never the session id: a visitor has one name.
   */
  function visitorLabel(c, word) {
    if (c.info && c.info.visitor_name) return c.info.visitor_name;
    if (c.info && c.info.visitor_id) return `${word} ${shortId(c.info.visitor_id)}`;
    return word;
  }

  /**
   * A record transcript's image line (`[图片] <url> <text>`) split for the page: `{before,
   * url, after}` with `url` the image's path, or null when `text` is no image line or its URL is
   * not one of this deployment's own images (`<basePath>api/v1/images/…` on `pageUrl`'s origin):
   * such a line stays text. The console's record view applies the same rule.
   */
  function imageLine(text, pageUrl, basePath) {
    const match = IMAGE_LINE.exec(String(text || ''));
    if (!match) return null;
    const value = match[2];
    if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
    let url;
    let page;
    try {
      page = new URL(pageUrl);
      url = new URL(value, page);
    } catch (_) {
      return null;
    }
    if (url.origin !== page.origin) return null;
    if (!url.pathname.startsWith(`${basePath || '/'}api/v1/images/`)) return null;
    return { before: match[1], url: url.pathname, after: match[3] };
  }

  /** A badge's text: '' for none, the count, or '99+' (seed 000). */
  function unreadLabel(count) {
    if (!count || count < 1) return '';
    return count > 99 ? '99+' : String(count);
  }

  /** Seconds left on an offer, never below zero. */
  function secondsLeft(conversation, now) {
    if (conversation.expiresAt === null) return null;
    return Math.max(0, Math.ceil((conversation.expiresAt - now) / 1000));
  }

  /**
   * The '#' quick-reply lookup at the caret: `{start, query}` when the caret ends a word that
   * starts with '#' or '＃' (at the start of the text or after whitespace), else null.
   */
  function hashQuery(text, caret) {
    const before = String(text).slice(0, caret);
    const match = /(^|\s)([#＃])([^\s#＃]{0,50})$/u.exec(before);
    if (!match) return null;
    return { start: before.length - match[3].length - 1, query: match[3] };
  }

  /**
   * Who the pane says a line is from: `{key}`, a message key (`from_visitor`, `from_bot`,
   * `from_system`, `from_agent`, or `from_you` for the signed-in agent's own lines), or `{name}`
   * for a colleague's line (its nickname, else its account). An agent line without an author
   * (logged before chatflow kept them) is just `from_agent`.
   */
  function lineSender(line, account) {
    if (line.from === 'agent' && line.author) {
      if (line.author === account) return { key: 'from_you' };
      return { name: line.authorNickname || line.author };
    }
    return { key: `from_${line.from}` };
  }

  /**
   * Whether the conversation list keeps `c` while the agent searches for `query` (seed 001:
   * by the contact's name or the messages' content): `label` is the name the list shows (the
   * profile's name, when there is one); the visitor id and every line held are searched too,
   * case-insensitively. A blank query keeps every conversation.
   */
  function conversationMatches(c, query, label) {
    const wanted = String(query || '').trim().toLocaleLowerCase();
    if (!wanted) return true;
    const has = (text) => String(text || '').toLocaleLowerCase().includes(wanted);
    if (has(label) || (c.info && has(c.info.visitor_id))) return true;
    return c.lines.some((line) => !line.image && has(line.text));
  }

  /** The text with the '#word' at [start, caret) replaced by a reply's content. */
  function insertReply(text, start, caret, content) {
    const value = String(text);
    const next = value.slice(0, start) + content + value.slice(caret);
    return { text: next, caret: start + content.length };
  }

  /**
   * Since when (ms) the visitor has waited for an agent's answer, or null: the first of the
   * visitor's lines after the last line of any agent, while an agent serves the conversation,
   * and never from before the last agent's join (lines from the bot's part wait from the join).
   * After a reload the replayed lines and joins keep their own times: the server's `at`, moved
   * onto this browser's clock by the `assigned` frame's `at` (see serverTime).
   */
  function waitingSince(c) {
    if (c.phase !== 'active' || c.joinedAt === null) return null;
    let since = null;
    for (let i = c.lines.length - 1; i >= 0; i -= 1) {
      const line = c.lines[i];
      if (line.from === 'agent') break;
      if (line.from === 'visitor') since = line.arrivedAt;
    }
    return since === null ? null : Math.max(since, c.joinedAt);
  }

  /** `{since, level}`: waitingSince, and 0 (not waiting, or less than a minute), 1, 2 or 3 for
   * how long the visitor has waited. */
  function waitOf(c, now) {
    const since = waitingSince(c);
    if (since === null) return { since, level: 0 };
    const seconds = (now - since) / 1000;
    return { since, level: WAIT_LEVELS.filter((limit) => seconds >= limit).length };
  }

  function waitLevel(c, now) {
    return waitOf(c, now).level;
  }

  /** waitingSince when the wait has reached the first level, else null. */
  function overdueSince(c, now) {
    const wait = waitOf(c, now);
    return wait.level > 0 ? wait.since : null;
  }

  /**
   * A server time (`at`, ISO) on this browser's clock, given `offset` (this browser's time minus
   * the server's, from an `assigned` frame), never later than `now`; `now` when either is
   * unknown or unreadable.
   */
  function serverTime(at, offset, now) {
    const when = Date.parse(at || '');
    if (!Number.isFinite(when) || typeof offset !== 'number') return now;
    return Math.min(now, when + offset);
  }

  function createState() {
    /** session id -> conversation; see conversation() for the fields. */
    const conversations = new Map();
    /** session id -> {pinned, muted}: the signed-in account's marks, as last read from the
     * server and changed since (only marks with a pin or a mute). */
    let marks = new Map();
    /** Numbers each offer frame, so an answer to a decline tells the offer it was about from
     * one that rang anew meanwhile. */
    let offers = 0;
    const state = {
      status: 'offline',
      reason: null,
      selected: null,
      conversations,
    };

    function conversation(sessionId) {
      let c = conversations.get(sessionId);
      if (!c) {
        c = {
          id: sessionId,
          group: '',
          phase: 'active',
          expiresAt: null,
          offer: 0,
          askedOffer: 0,
          invited: false,
          lines: [],
          seqs: new Set(),
          unread: 0,
          lastAt: 0,
          visitorTypingUntil: 0,
          joinedAt: null,
          offset: null,
          closedBy: null,
          goneTo: null,
          info: null,
          pinned: false,
          muted: false,
        };
        const mark = marks.get(sessionId);
        if (mark) Object.assign(c, mark);
        conversations.set(sessionId, c);
      }
      return c;
    }

    function addLine(c, frame, now) {
      if (!Number.isInteger(frame.seq) || c.seqs.has(frame.seq)) return false;
      c.seqs.add(frame.seq);
      const line = {
        seq: frame.seq,
        from: String(frame.from || 'system'),
        author: typeof frame.author === 'string' ? frame.author : '',
        authorNickname: typeof frame.author_nickname === 'string' ? frame.author_nickname : '',
        text: frame.text == null ? '' : String(frame.text),
        at: frame.at ? String(frame.at) : '',
        image: typeof frame.image === 'string' ? frame.image : null,
        options: Array.isArray(frame.options) ? frame.options : [],
        arrivedAt: frame.replay ? serverTime(frame.at, c.offset, now) : now,
      };
      const lines = c.lines;
      let i = lines.length;
      while (i > 0 && lines[i - 1].seq > line.seq) i -= 1;
      lines.splice(i, 0, line);
      if (lines.length > LINE_LIMIT) {
        for (const old of lines.splice(0, lines.length - LINE_LIMIT)) c.seqs.delete(old.seq);
      }
      c.lastAt = now;
      return true;
    }

    /**
     * Applies one server frame. Answers what the screen must do: `{session, list, status,
     * notice}` where `session` is the conversation whose pane changed, `list` says the
     * conversation list changed, `status` the agent's status, and `notice` is a
     * `{kind, ...}` worth telling the agent (an offer, a message, an alert, an error).
     */
    function apply(frame, now) {
      const out = { session: null, list: false, status: false, notice: null };
      if (!frame || typeof frame.type !== 'string') return out;
      const sid = typeof frame.session_id === 'string' ? frame.session_id : null;
      switch (frame.type) {
        case 'status':
          state.status = String(frame.status || 'offline');
          state.reason = frame.reason ? String(frame.reason) : null;
          out.status = true;
          return out;
        case 'offer': {
          if (!sid) return out;
          const c = conversation(sid);
          c.phase = 'ringing';
          offers += 1;
          c.offer = offers;
          c.group = String(frame.group || '');
          c.expiresAt = now + Math.max(0, Number(frame.timeout) || 0) * 1000;
          c.lastAt = now;
          out.list = true;
          out.session = sid;
          if (!frame.resumed) out.notice = { kind: 'offer', session: sid, group: c.group };
          return out;
        }
        case 'auto_transfer': {
          if (!sid || !conversations.has(sid)) return out;
          const c = conversations.get(sid);
          if (c.phase !== 'ringing') return out;
          return offerGone(sid, frame.reason || null, out);
        }
        case 'assigned': {
          if (!sid) return out;
          const c = conversation(sid);
          c.phase = 'active';
          c.group = String(frame.group || c.group);
          c.expiresAt = null;
          c.invited = Boolean(frame.invited);
          c.closedBy = null;
          c.goneTo = null;
          c.lastAt = now;
          if (c.joinedAt === null) c.joinedAt = now;
          const serverNow = Date.parse(frame.at || '');
          if (Number.isFinite(serverNow)) c.offset = now - serverNow;
          if (state.selected === null) state.selected = sid;
          out.list = true;
          out.session = sid;
          if (c.invited && !frame.resumed) out.notice = { kind: 'invited', session: sid };
          return out;
        }
        case 'message': {
          if (!sid) return out;
          const c = conversation(sid);
          if (!addLine(c, frame, now)) return out;
          out.session = sid;
          out.list = true;
          if (frame.from === 'visitor') c.visitorTypingUntil = 0;
          const fresh = !frame.replay && frame.from !== 'agent';
          if (fresh && state.selected !== sid) c.unread += 1;
          if (fresh && frame.from === 'visitor') out.notice = { kind: 'message', session: sid };
          return out;
        }
        case 'joined': {
          // an agent took the conversation: replayed, when it happened; live, now
          if (!sid || !conversations.has(sid)) return out;
          const c = conversations.get(sid);
          c.joinedAt = frame.replay ? serverTime(frame.at, c.offset, now) : now;
          out.list = true;
          return out;
        }
        case 'typing': {
          if (!sid || !conversations.has(sid)) return out;
          conversations.get(sid).visitorTypingUntil = now + TYPING_VISIBLE_MS;
          out.session = sid;
          return out;
        }
        case 'marks': {
          // the agent's marks of a conversation, changed in another tab or browser (or this
          // one): as the server has them now, for the conversation held or to come
          if (!sid) return out;
          setMark(sid, frame);
          if (conversations.has(sid)) {
            out.list = true;
            out.session = sid;
          }
          return out;
        }
        case 'serving': {
          // a colleague was invited into the conversation, or left it: who serves it now
          const c = sid && conversations.get(sid);
          if (!c || !c.info || !Array.isArray(frame.agents)) return out;
          c.info = { ...c.info, agents: frame.agents.map(String) };
          out.session = sid;
          return out;
        }
        case 'transferred':
        case 'left': {
          if (!sid || !conversations.has(sid)) return out;
          const c = conversations.get(sid);
          if (c.phase === 'ringing') return offerGone(sid, 'transfer', out);
          c.phase = 'gone';
          c.goneTo =
            frame.type === 'left'
              ? { left: true }
              : { group: frame.to_group || null, agent: frame.to_agent || null };
          c.expiresAt = null;
          out.session = sid;
          out.list = true;
          return out;
        }
        case 'session_ended': {
          if (!sid || !conversations.has(sid)) return out;
          const c = conversations.get(sid);
          // the visitor of an offer left before it was accepted: it was never the agent's
          if (c.phase === 'ringing') return offerGone(sid, 'left', out);
          c.phase = 'ended';
          c.closedBy = String(frame.closed_by || '');
          c.expiresAt = null;
          c.visitorTypingUntil = 0;
          out.session = sid;
          out.list = true;
          return out;
        }
        case 'alert':
          out.notice = {
            kind: 'alert',
            session: sid,
            agent: String(frame.agent || ''),
            text: String(frame.text || ''),
            words: Array.isArray(frame.words) ? frame.words : [],
          };
          return out;
        case 'error':
          out.notice = {
            kind: 'error',
            code: String(frame.code || ''),
            message: String(frame.message || ''),
          };
          return out;
        default:
          return out;
      }
    }

    /** An offer that stopped ringing for the agent leaves the list, with a notice. */
    function offerGone(sid, reason, out) {
      forget(sid);
      out.list = true;
      out.session = sid;
      out.notice = { kind: 'offer_gone', session: sid, reason };
      return out;
    }

    function forget(sessionId) {
      conversations.delete(sessionId);
      if (state.selected === sessionId) state.selected = null;
    }

    /**
     * Takes an offer off the list once the server answered for it: the agent declined it (the
     * server sends no frame for that), or accepting or declining found it no longer ringing for
     * the agent. `offer` is the conversation's `offer` number when the request left: an offer
     * that rang anew meanwhile (the only agent free gets a declined visitor back) stays.
     * Whether it went.
     */
    function dropOffer(sessionId, offer) {
      const c = conversations.get(sessionId);
      if (!c || c.phase !== 'ringing' || c.offer !== offer) return false;
      forget(sessionId);
      return true;
    }

    /**
     * The offers whose countdown ended more than RING_GRACE_MS before `now` and that were not
     * reported yet (each offer once): the page asks the server whether they still ring.
     */
    function rungOut(now) {
      const due = [];
      for (const c of conversations.values()) {
        if (c.phase !== 'ringing' || c.askedOffer === c.offer || c.expiresAt === null) continue;
        if (now - c.expiresAt < RING_GRACE_MS) continue;
        c.askedOffer = c.offer;
        due.push(c.id);
      }
      return due;
    }

    /**
     * Brings the list in line with `GET /agents/me/sessions` (after a reconnect, and for the
     * visitor, site and agents of each conversation): an offer the server no longer has is
     * dropped; a conversation it no longer gives the agent was finished while the socket was
     * away. Rows the list lacks are left to the socket's own re-announcements, and a
     * conversation the socket spoke of after `askedAt` (when the request left) is left alone.
     */
    function sync(rows, askedAt) {
      const byId = new Map((rows || []).map((row) => [row.session_id, row]));
      let changed = false;
      for (const [id, c] of conversations) {
        const row = byId.get(id);
        if (row) {
          c.info = {
            visitor_id: String(row.visitor_id || ''),
            visitor_name: row.visitor_name ? String(row.visitor_name) : '',
            site_key: String(row.site_key || ''),
            site_name: row.site_name ? String(row.site_name) : '',
            agents: Array.isArray(row.agents) ? row.agents.map(String) : [],
          };
          changed = true;
        } else if (c.lastAt >= askedAt) {
          continue;
        } else if (c.phase === 'ringing') {
          forget(id);
          changed = true;
        } else if (c.phase === 'active') {
          c.phase = 'gone';
          c.goneTo = { elsewhere: true };
          changed = true;
        }
      }
      return changed;
    }

    function select(sessionId) {
      if (!conversations.has(sessionId)) return false;
      state.selected = sessionId;
      conversations.get(sessionId).unread = 0;
      return true;
    }

    /** Forgets an ended or handed-over conversation (the agent closes its tab), with its
     * marks (the caller has the server forget them too). */
    function dismiss(sessionId) {
      const c = conversations.get(sessionId);
      if (!c || (c.phase !== 'ended' && c.phase !== 'gone')) return false;
      conversations.delete(sessionId);
      marks.delete(sessionId);
      if (state.selected === sessionId) {
        const next = sorted()[0];
        state.selected = next ? next.id : null;
      }
      return true;
    }

    /** Ringing first (soonest to ring out first: they cannot wait), then the pinned, then
     * serving (a visitor waiting a minute or more for an answer first, the longest first),
     * then finished; newest first. `now` (ms) tells who is waiting; Date.now() if left out. */
    function sorted(now) {
      const sortNow = now === undefined ? Date.now() : now;
      const all = Array.from(conversations.values());
      // who waits is read once per sort, not per comparison (each reading scans lines)
      const overdue = new Map(all.map((c) => [c, overdueSince(c, sortNow)]));
      return all.sort((a, b) => {
        const ringing = Number(b.phase === 'ringing') - Number(a.phase === 'ringing');
        if (ringing !== 0) return ringing;
        const pinned = Number(b.pinned) - Number(a.pinned);
        if (pinned !== 0) return pinned;
        const phase = PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase];
        if (phase !== 0) return phase;
        const [waitA, waitB] = [overdue.get(a), overdue.get(b)];
        if (waitA !== null || waitB !== null) {
          if (waitA === null) return 1;
          if (waitB === null) return -1;
          if (waitA !== waitB) return waitA - waitB;
        }
        if (a.phase === 'ringing') return a.expiresAt - b.expiresAt;
        return b.lastAt - a.lastAt;
      });
    }

    /** Ringing offers plus unread lines: the number in the page title. A muted conversation's
     * lines are not counted (its list item shows a dot instead). */
    function attention() {
      let n = 0;
      for (const c of conversations.values()) {
        if (c.phase === 'ringing') n += 1;
        else if (!c.muted) n += c.unread;
      }
      return n;
    }

    /** Pins or mutes (`kind`) a conversation, or undoes it, on the page (the server is told
     * by the caller); whether anything changed. An offer still ringing takes neither: it is
     * not the agent's yet (the server refuses it too). */
    function mark(sessionId, kind, on) {
      const c = conversations.get(sessionId);
      if (!c || !MARK_KINDS.includes(kind) || c.phase === 'ringing' || c[kind] === on) {
        return false;
      }
      setMark(sessionId, { [kind]: on });
      return true;
    }

    /** Sets a conversation's marks as the server has them (its answer to a change), or puts
     * back what a refused change altered: `value` holds `pinned`, `muted` or both. */
    function setMark(sessionId, value) {
      const was = marks.get(sessionId) || { pinned: false, muted: false };
      const now = { ...was, ...markOf(value) };
      marks.delete(sessionId);
      if (now.pinned || now.muted) marks.set(sessionId, now);
      const c = conversations.get(sessionId);
      if (c) Object.assign(c, now);
    }

    /** Takes the server's marks (`rows`, GET /agents/me/marks), for the conversations held
     * now and to come; those in `keep` (changed since the read left) stay as they are. */
    function loadMarks(rows, keep) {
      const kept = keep || new Set();
      const next = new Map();
      for (const row of Array.isArray(rows) ? rows : []) {
        if (!row || typeof row.session_id !== 'string' || kept.has(row.session_id)) continue;
        const mark = { pinned: false, muted: false, ...markOf(row) };
        if (mark.pinned || mark.muted) next.set(row.session_id, mark);
      }
      for (const id of kept) if (marks.has(id)) next.set(id, marks.get(id));
      marks = next;
      for (const c of conversations.values()) {
        Object.assign(c, marks.get(c.id) || { pinned: false, muted: false });
      }
    }

    /** A visitor's new profile name, on every conversation of that visitor; whether any. */
    function renameVisitor(visitorId, name) {
      let changed = false;
      for (const c of conversations.values()) {
        if (c.info && c.info.visitor_id === visitorId) {
          c.info.visitor_name = String(name || '');
          changed = true;
        }
      }
      return changed;
    }

    /** Whether the conversation takes the agent's writing and actions now. */
    function serving(sessionId) {
      const c = conversations.get(sessionId);
      return Boolean(c && c.phase === 'active');
    }

    return {
      state,
      apply,
      sync,
      select,
      dismiss,
      dropOffer,
      rungOut,
      sorted,
      attention,
      serving,
      renameVisitor,
      mark,
      setMark,
      loadMarks,
    };
  }

  return {
    TYPING_VISIBLE_MS,
    LINE_LIMIT,
    WAIT_LEVELS,
    RING_GRACE_MS,
    STATUSES,
    REASON_STATUSES,
    unreadLabel,
    secondsLeft,
    shortId,
    visitorLabel,
    imageLine,
    hashQuery,
    insertReply,
    lineSender,
    conversationMatches,
    marksKey,
    parseMarks,
    unsentMarks,
    waitingSince,
    serverTime,
    waitOf,
    waitLevel,
    createState,
  };
});
