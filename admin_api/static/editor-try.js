/* chatflow flow editor: the Try panel. The designer talks to the flow on screen (unsaved,
 * unpublished) as a visitor, plays the agent and lets time pass; each action is a step of a
 * conversation test (docs/testing-flows.md), and the whole list is replayed by
 * POST api/v1/admin/flows/{id}/try on every action, so what is shown is always the flow as
 * drawn now. An opening message starts the try on a visitor's message, as a webhook/IM
 * channel does (the test file's `opening`): read when the try starts (opening the panel, Start
 * again, its own Start button) and kept for the replays of that try. The try can be saved as a
 * *.test.yaml for `chatflow test` (with its `opening`). Tries are
 * rate-limited per account: a refused one (429) says how long to wait and drops the actions it
 * would have played. Every text goes in through textContent. Exposed as window.EditorTry. */
(function (root) {
  'use strict';

  const { el, button, saveFile } = root.ChatflowAdmin;
  const SENDERS = {
    visitor: 'tryFrom_visitor',
    bot: 'tryFrom_bot',
    agent: 'tryFrom_agent',
    system: 'tryFrom_system',
  };
  /** Where the session is (the answer's `status`) and why it ended (an `ended` frame's
   * `reason`), as words; a value not listed here is shown as it is. */
  const STATUSES = {
    active: 'tryStatus_active',
    queued: 'tryStatus_queued',
    with_agent: 'tryStatus_with_agent',
    ended: 'tryStatus_ended',
    not_started: 'tryStatus_not_started',
  };
  const REASONS = {
    flow: 'tryReason_flow',
    idle: 'tryReason_idle',
    agent: 'tryReason_agent',
    visitor: 'tryReason_visitor',
    admin: 'tryReason_admin',
  };
  /** The buttons under the conversation, in order: [string key, what it does]. */
  const ACTIONS = [
    'tryWait',
    'tryAgentJoins',
    'tryAgentSays',
    'tryAgentEnds',
    'tryVisitorEnds',
    'tryRestart',
    'trySave',
  ];

  /**
   * `els`: {panel, log, status, note, form, input, openingForm, opening, actions}.
   * `options`: `api`, `t`, `flowId()`, `doc()`, `onNode(id | null)` (the canvas marks the node
   * the session is at), `toast(text, kind)`.
   */
  function create(els, options) {
    const { api, t } = options;
    /** `value` in words by `table` (STATUSES, REASONS), else as it is. */
    const words = (table, value) =>
      Object.prototype.hasOwnProperty.call(table, value) ? t(table[value]) : String(value ?? '');
    let steps = [];
    /** The visitor's message that opened this try (null: the flow starts on its own). */
    let opening = null;
    /** The steps of the conversation on screen (what `last` answered). */
    let shown = [];
    let last = null;
    let busy = false;
    let again = false;

    /** Replays the steps; an action taken meanwhile is played by one more replay after it. */
    async function replay() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      els.form.classList.add('is-busy');
      try {
        do {
          again = false;
          await replayOnce();
        } while (again);
      } finally {
        busy = false;
        els.form.classList.remove('is-busy');
      }
    }

    async function replayOnce() {
      const path = `api/v1/admin/flows/${encodeURIComponent(options.flowId())}/try`;
      const sent = steps;
      const body = { document: options.doc(), steps: sent };
      if (opening !== null) body.opening = opening;
      const result = await api('POST', path, body);
      if (!result.ok && result.status === 429) {
        // nothing was played: the actions not on screen are dropped, to be taken again
        steps = shown;
        again = false;
        showNote(t('tryThrottled', { seconds: waitOf(result) }));
        return;
      }
      if (!result.ok) {
        const errors = (result.data && result.data.errors) || [];
        const first = errors.length ? errors[0].message : result.message;
        if (result.code === 'invalid_flow') showNote(t('tryInvalid', { count: errors.length }));
        else showNote(t('failed', { message: first || result.status }));
        return;
      }
      last = Object.assign({}, result.data, { opening: body.opening || null });
      shown = sent;
      if (last.failed) {
        // the step that did not hold (a 0-based index into what was sent; null when the start
        // failed) is dropped with any after it, so the next action goes on from a good state
        const held = last.failed.step === null ? 0 : last.failed.step;
        shown = sent.slice(0, held);
        steps = shown.concat(steps.slice(sent.length));
      }
      render();
    }

    /** Whole seconds until the account may try again (the Retry-After header). */
    function waitOf(result) {
      const header = result.response && result.response.headers.get('Retry-After');
      const body = result.data && result.data.retry_after;
      return Number(header) || Math.ceil(Number(body)) || 60;
    }

    async function act(step) {
      steps = steps.concat([step]);
      await replay();
    }

    /** A new try, opened by the opening message in its field (blank: none). */
    function restart() {
      opening = els.opening.value.trim() || null;
      steps = [];
      shown = [];
      last = null;
      replay();
    }

    function render() {
      const frames = (last && last.frames) || [];
      const lines = frames.map((frame, index) => frameLine(frame, index === 0 && opened(frame)));
      els.log.replaceChildren(...lines);
      els.log.scrollTop = els.log.scrollHeight;
      const node = last ? last.node : null;
      els.status.textContent = last
        ? t('tryAt', { node: node || '—', status: words(STATUSES, last.status) })
        : '';
      options.onNode(node);
      const notes = [];
      if (last && last.failed) notes.push(last.failed.message);
      if (last && last.http_requests && last.http_requests.length) {
        notes.push(t('tryHttp', { count: last.http_requests.length }));
      }
      showNote(notes.join(' '));
    }

    function showNote(text) {
      els.note.textContent = text;
      els.note.hidden = !text;
    }

    /** Whether `frame`, the first, is the opening message of the try on screen. */
    function opened(frame) {
      return Boolean(last && last.opening) && frame.type === 'message' && frame.from === 'visitor';
    }

    /** One frame as a line of the log; `isOpening`: the visitor's message that opened it. */
    function frameLine(frame, isOpening) {
      if (frame.type === 'message') {
        const line = el('div', `ed-try-line ed-try-${frame.from}`);
        if (isOpening) line.classList.add('ed-try-opening-line');
        const who = isOpening ? 'tryFrom_opening' : SENDERS[frame.from] || 'tryFrom_system';
        line.appendChild(el('span', 'ed-try-who', t(who)));
        line.appendChild(el('span', 'ed-try-text', frame.text || ''));
        if (Array.isArray(frame.options) && frame.options.length) {
          const choices = el('div', 'ed-try-options');
          for (const option of frame.options) {
            const label = typeof option === 'object' && option ? option.label : String(option);
            choices.appendChild(button('ed-try-option', label, () => act({ choice: label })));
          }
          line.appendChild(choices);
        }
        return line;
      }
      const notice = el('div', 'ed-try-line ed-try-notice');
      if (frame.type === 'queue') notice.textContent = t('tryQueue', { ahead: frame.ahead });
      else if (frame.type === 'agent_joined') {
        notice.textContent = t('tryJoined', { name: frame.nickname || frame.staff_no || '' });
      } else if (frame.type === 'survey') {
        notice.textContent = t('trySurvey', { levels: frame.levels });
        const choices = el('div', 'ed-try-options');
        for (let score = 1; score <= (frame.levels || 5); score += 1) {
          choices.appendChild(button('ed-try-option', String(score), () => act({ rate: score })));
        }
        notice.appendChild(choices);
      } else if (frame.type === 'ended') {
        notice.textContent = t('tryEnded', { reason: words(REASONS, frame.reason) });
      } else notice.textContent = frame.type;
      return notice;
    }

    function ask(key, fallback) {
      const answer = window.prompt(t(key), fallback);
      return answer === null ? null : answer.trim();
    }

    function wire() {
      els.openingForm.addEventListener('submit', (event) => {
        event.preventDefault();
        restart();
        els.input.focus();
      });
      els.form.addEventListener('submit', (event) => {
        event.preventDefault();
        const text = els.input.value.trim();
        if (!text) return;
        els.input.value = '';
        act({ user: text });
      });
      const does = {
        tryWait: () => {
          const seconds = Number(ask('tryWaitAsk', '60'));
          if (seconds > 0) act({ wait: seconds });
        },
        tryAgentJoins: () => act({ agent_joins: {} }),
        tryAgentSays: () => {
          const text = ask('tryAgentAsk', '');
          if (text) act({ agent: text });
        },
        tryAgentEnds: () => act({ agent_ends: true }),
        tryVisitorEnds: () => act({ visitor_ends: true }),
        tryRestart: restart,
        trySave: save,
      };
      els.actions.replaceChildren(
        ...ACTIONS.map((key) => button(`ed-try-action`, t(key), does[key])),
      );
    }

    /** Downloads the try as a conversation test (the server wrote it from the same steps). */
    function save() {
      if (!last || !last.test_yaml) return;
      const blob = new Blob([last.test_yaml], { type: 'text/yaml' });
      saveFile(blob, `${options.flowId()}.try.test.yaml`);
    }

    const isOpen = () => !els.panel.hidden;
    /** The node the conversation is at while the panel is open, else null. */
    const node = () => (isOpen() && last ? last.node : null);

    /** Opens the panel: the conversation starts again on the flow as it is now. */
    function open() {
      els.panel.hidden = false;
      restart();
      els.input.focus();
    }

    function close() {
      els.panel.hidden = true;
      options.onNode(null);
    }

    /** The flow changed: play the same steps again on it. */
    function refresh() {
      if (isOpen()) replay();
    }

    wire();
    return { open, close, refresh, isOpen, node };
  }

  root.EditorTry = { create };
})(typeof self !== 'undefined' ? self : this);
