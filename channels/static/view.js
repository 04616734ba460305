/* chatflow visitor chat: draws the conversation (messages, menus, queue line, agent notice,
 * survey card, end notice) into chat.html. Every piece of server or visitor text reaches the page
 * through textContent or text nodes, never as markup. chat.js owns the client and the composer
 * and is reached through `actions`. Exposed as window.ChatflowView. */
(function (root) {
  'use strict';

  const SPEAKERS = ['visitor', 'bot', 'agent', 'system'];
  const TYPING_VISIBLE_MS = 5000;

  /**
   * els: the elements of chat.html (log, queue, banner, typing). options: {t, core, basePath,
   * actions: {choose(label) -> bool, rate(score) -> bool, restart(), reload(), incoming(),
   * ended(replay) -> element to focus or null, focusInput()}}.
   */
  function createView(els, options) {
    const { t, core, basePath, actions } = options;
    /** Own messages not yet echoed by the server (and image uploads), by client id. */
    const bubbles = new Map();
    /** Survey card -> describe(level), for the "your rating" line. */
    const surveyNames = new WeakMap();
    let agentName = '';
    let typingTimer = null;
    let bannerTimer = null;

    // ---- DOM helpers -----------------------------------------------------------------------

    function el(tag, className, text) {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined && text !== null) node.textContent = String(text);
      return node;
    }

    function button(className, text, onClick) {
      const node = el('button', className, text);
      node.type = 'button';
      node.addEventListener('click', onClick);
      return node;
    }

    /** Text with http(s) links made into anchors, built node by node. */
    function appendText(parent, text) {
      for (const part of core.linkify(String(text))) {
        if (part.href) {
          const a = el('a', 'cf-link', part.text);
          a.href = part.href;
          a.target = '_blank';
          a.rel = 'noopener noreferrer';
          parent.appendChild(a);
        } else {
          parent.appendChild(document.createTextNode(part.text));
        }
      }
    }

    function nearBottom() {
      const log = els.log;
      return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
    }

    function scrollToBottom() {
      els.log.scrollTop = els.log.scrollHeight;
    }

    const firstPending = () => els.log.querySelector(':scope > .is-pending');

    /** Server frames go before the visitor's unacknowledged messages: those are not in order yet. */
    function insert(node) {
      const follow = nearBottom();
      els.log.insertBefore(node, firstPending());
      if (follow) scrollToBottom();
    }

    function appendOwn(node) {
      els.log.appendChild(node);
      scrollToBottom();
    }

    function setMeta(row, text, extra) {
      let meta = row.querySelector(':scope > .cf-meta');
      if (!meta) {
        meta = el('div', 'cf-meta');
        row.appendChild(meta);
      }
      meta.replaceChildren(document.createTextNode(text));
      if (extra) meta.appendChild(extra);
    }

    /** A failed message is no longer waiting: it takes its place among what was said. */
    function markFailed(row, text, extra) {
      row.classList.remove('is-pending');
      row.classList.add('is-failed');
      setMeta(row, text, extra);
      row.remove();
      insert(row);
    }

    // ---- messages --------------------------------------------------------------------------

    /** Who wrote an agent's line: its own name (several may serve), else the last to join. */
    function agentOf(frame) {
      return typeof frame.nickname === 'string' && frame.nickname ? frame.nickname : agentName;
    }

    function speakerLabel(from, frame) {
      if (from === 'visitor') return t('you');
      if (from !== 'agent') return t(from);
      const name = agentOf(frame);
      return name ? `${t('agent')} ${name}` : t('agent');
    }

    function fillBubble(bubble, frame, from) {
      bubble.replaceChildren(el('span', 'cf-sr', `${speakerLabel(from, frame)}: `));
      bubble.classList.remove('has-image');
      const text = typeof frame.text === 'string' ? frame.text : '';
      if (frame.image === undefined || frame.image === null) {
        appendText(bubble, text);
        return;
      }
      const src = core.safeImageUrl(frame.image, window.location.href, basePath);
      if (!src) {
        appendText(bubble, text || t('imageUnavailable'));
        return;
      }
      const link = el('a', 'cf-image-link');
      link.href = src;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      const img = el('img', 'cf-image');
      img.alt = text || t('imageAlt');
      img.loading = 'lazy';
      img.decoding = 'async';
      img.addEventListener('load', () => nearBottom() && scrollToBottom());
      img.addEventListener('error', () => link.replaceWith(el('span', '', t('imageUnavailable'))));
      img.src = src;
      link.appendChild(img);
      bubble.appendChild(link);
      bubble.classList.add('has-image');
    }

    function messageRow(from, frame) {
      const row = el('div', `cf-row cf-from-${from}`);
      if (from === 'system') {
        const notice = el('div', 'cf-notice');
        fillBubble(notice, frame, from);
        row.appendChild(notice);
        return row;
      }
      if (from === 'agent' && agentOf(frame)) row.appendChild(el('div', 'cf-name', agentOf(frame)));
      const bubble = el('div', 'cf-bubble');
      fillBubble(bubble, frame, from);
      row.appendChild(bubble);
      return row;
    }

    function optionLabel(option) {
      if (typeof option === 'string') return option;
      if (typeof option === 'number') return String(option);
      if (option && typeof option.label === 'string') return option.label;
      return null;
    }

    function renderOptions(row, options) {
      const labels = options.map(optionLabel).filter((label) => label);
      if (!labels.length) return;
      const group = el('div', 'cf-options');
      group.setAttribute('role', 'group');
      for (const label of labels) {
        const choice = button('cf-option', label, () => {
          if (choice.disabled || !actions.choose(label)) return;
          for (const node of group.querySelectorAll('button')) node.disabled = true;
          choice.classList.add('is-chosen');
          choice.setAttribute('aria-pressed', 'true');
          actions.focusInput();
        });
        group.appendChild(choice);
      }
      row.appendChild(group);
    }

    /** Disables menus (and survey cards) already shown: the conversation has moved on. */
    function retire(withSurveys) {
      const selector = withSurveys ? '.cf-options button, .cf-survey button' : '.cf-options button';
      for (const node of els.log.querySelectorAll(selector)) node.disabled = true;
    }

    /** The visitor's survey answer (a message marked `rating`) marks the survey card it
     * answers, live or replayed, instead of a bubble with a bare number. */
    function answersSurvey(frame) {
      if (frame.from !== 'visitor' || !Number.isInteger(frame.rating)) return false;
      const cards = els.log.querySelectorAll('.cf-survey');
      if (!cards.length) return false;
      const card = cards[cards.length - 1];
      if (!card.classList.contains('is-rated')) markSurvey(card, frame.rating);
      return true;
    }

    function renderMessage(frame, replay) {
      if (answersSurvey(frame)) return;
      const from = SPEAKERS.includes(frame.from) ? frame.from : 'system';
      if (from !== 'visitor') hideTyping();
      // A visitor's text does not answer a survey; anything the other side says closes it.
      retire(from !== 'visitor');
      const id = frame.id === undefined || frame.id === null ? null : String(frame.id);
      if (from === 'visitor' && id && bubbles.has(id)) {
        // The echo of a message shown greyed: delivered, and this is its place in the order.
        const row = bubbles.get(id);
        bubbles.delete(id);
        row.classList.remove('is-pending', 'is-failed');
        const meta = row.querySelector(':scope > .cf-meta');
        if (meta) meta.remove();
        fillBubble(row.querySelector('.cf-bubble'), frame, from);
        row.remove();
        insert(row);
        return;
      }
      const row = messageRow(from, frame);
      if (Array.isArray(frame.options) && frame.options.length) renderOptions(row, frame.options);
      insert(row);
      if (!replay && from !== 'visitor') actions.incoming();
    }

    function systemNotice(text, dismissible) {
      const row = el('div', 'cf-row cf-from-system');
      const notice = el('div', 'cf-notice');
      appendText(notice, text);
      if (dismissible) {
        notice.classList.add('cf-alert');
        const dismiss = button('cf-dismiss', '×', () => {
          row.remove();
          actions.focusInput();
        });
        dismiss.setAttribute('aria-label', t('dismiss'));
        notice.appendChild(dismiss);
      }
      row.appendChild(notice);
      return row;
    }

    // ---- status frames ---------------------------------------------------------------------

    // The engine sends {position: 1-based place in line, ahead: visitors before this one};
    // without `ahead`, `position` is read as the number ahead (0 = next).
    function renderQueue(frame) {
      const ahead = Number(Number.isInteger(frame.ahead) ? frame.ahead : frame.position);
      if (!Number.isInteger(ahead) || ahead < 0) return;
      els.queue.textContent = ahead === 0 ? t('queueNext') : t('queue', { n: ahead });
      els.queue.hidden = false;
    }

    function renderAgentJoined(frame, replay) {
      const nickname = typeof frame.nickname === 'string' ? frame.nickname : '';
      const staffNo =
        frame.staff_no === undefined || frame.staff_no === null ? '' : String(frame.staff_no);
      agentName = nickname;
      els.queue.hidden = true;
      retire(true);
      let key = 'agentJoined';
      if (!staffNo) key = 'agentJoinedNoNumber';
      else if (!nickname) key = 'agentJoinedNoName';
      insert(systemNotice(t(key, { nickname, staff_no: staffNo })));
      if (!replay) actions.incoming();
    }

    function surveyLabels(labels, levels) {
      const result = [];
      for (let n = 1; n <= levels; n += 1) {
        let label = null;
        if (Array.isArray(labels)) label = labels[n - 1];
        else if (labels && typeof labels === 'object') label = labels[String(n)];
        result.push(typeof label === 'string' ? label : '');
      }
      return result;
    }

    function renderSurvey(frame, replay) {
      retire(true);
      const levels = Math.min(10, Math.max(1, Number.parseInt(frame.levels, 10) || 5));
      const stars = frame.style !== 'number';
      const labels = surveyLabels(frame.labels, levels);
      const card = el('div', `cf-row cf-from-bot cf-survey ${stars ? 'is-star' : 'is-number'}`);
      const prompt = el('p', 'cf-survey-prompt');
      const promptText = typeof frame.prompt === 'string' && frame.prompt ? frame.prompt : '';
      appendText(prompt, promptText || t('surveyPrompt'));
      prompt.id = `cf-survey-${Number.isInteger(frame.seq) ? frame.seq : Date.now()}`;
      const choices = el('div', 'cf-survey-choices');
      choices.setAttribute('role', 'group');
      choices.setAttribute('aria-labelledby', prompt.id);
      const hint = el('div', 'cf-survey-hint');
      const describe = (n) => {
        const name = t(stars ? 'star' : 'score', { n });
        return labels[n - 1] ? t('levelLabel', { level: name, label: labels[n - 1] }) : name;
      };
      const highlight = (upTo) => {
        choices.querySelectorAll('button').forEach((b, i) => b.classList.toggle('is-on', i < upTo));
        hint.textContent = upTo ? labels[upTo - 1] || '' : '';
      };
      for (let n = 1; n <= levels; n += 1) {
        const choice = button(stars ? 'cf-star' : 'cf-score', stars ? '★' : String(n), () => {
          if (!choice.disabled && actions.rate(n)) markSurvey(card, n);
        });
        choice.setAttribute('aria-label', describe(n));
        choice.title = labels[n - 1] || describe(n);
        if (stars) {
          choice.addEventListener('mouseenter', () => !choice.disabled && highlight(n));
          choice.addEventListener('focus', () => !choice.disabled && highlight(n));
        }
        choices.appendChild(choice);
      }
      if (stars) {
        const reset = () => !card.classList.contains('is-rated') && highlight(0);
        choices.addEventListener('mouseleave', reset);
        choices.addEventListener('focusout', reset);
      }
      surveyNames.set(card, describe);
      card.append(prompt, choices, hint);
      insert(card);
      if (!replay) actions.incoming();
    }

    function markSurvey(card, score) {
      card.classList.add('is-rated');
      const stars = card.classList.contains('is-star');
      card.querySelectorAll('.cf-survey-choices button').forEach((b, i) => {
        b.disabled = true;
        b.classList.toggle('is-on', stars ? i < score : i === score - 1);
        if (i === score - 1) b.setAttribute('aria-pressed', 'true');
      });
      const describe = surveyNames.get(card);
      card.querySelector('.cf-survey-hint').textContent = t('rated', {
        choice: describe ? describe(score) : score,
      });
    }

    function renderEnded(replay) {
      retire(true);
      hideTyping();
      els.queue.hidden = true;
      const row = systemNotice(t('ended'));
      const again = button('cf-button cf-button-primary cf-new', t('newSession'), () => {
        actions.restart();
        actions.focusInput();
      });
      row.appendChild(again);
      insert(row);
      if (actions.ended(replay)) again.focus();
    }

    // ---- typing and banner -----------------------------------------------------------------

    function hideTyping() {
      clearTimeout(typingTimer);
      typingTimer = null;
      els.typing.hidden = true;
    }

    function setBanner(text, delay) {
      clearTimeout(bannerTimer);
      bannerTimer = null;
      if (!text) {
        els.banner.hidden = true;
        return;
      }
      const show = () => {
        els.banner.textContent = text;
        els.banner.hidden = false;
      };
      if (delay) bannerTimer = setTimeout(show, delay);
      else show();
    }

    /** A notice the visitor can dismiss (server errors, refused images). */
    function notify(text) {
      insert(systemNotice(String(text), true));
    }

    // ---- what chat.js calls ----------------------------------------------------------------

    return {
      scrollToBottom,
      setBanner,

      /** One server frame, live or from the cached transcript (replay). */
      frame({ frame, replay }) {
        switch (frame.type) {
          case 'message':
            renderMessage(frame, replay);
            break;
          case 'queue':
            renderQueue(frame);
            break;
          case 'agent_joined':
            renderAgentJoined(frame, replay);
            break;
          case 'survey':
            renderSurvey(frame, replay);
            break;
          case 'ended':
            renderEnded(replay);
            break;
          case 'error':
            // Errors are moments, not transcript: a reloaded page does not show them again. The
            // words come from the code: the frame's message is the server's English.
            if (!replay) notify(t(root.ChatflowI18n.errorKey(frame.code)));
            break;
          default:
            break; // a newer server's frame type: ignored, its seq still counts
        }
      },

      /** A frame the visitor sent that the server has not echoed yet: shown greyed. */
      pending(frame) {
        if (frame.type === 'rate') {
          const cards = els.log.querySelectorAll('.cf-survey:not(.is-rated)');
          if (cards.length && Number.isInteger(frame.score)) markSurvey(cards[cards.length - 1], frame.score);
          return;
        }
        if (frame.type !== 'text' && frame.type !== 'choice') return;
        const row = messageRow('visitor', { text: frame.type === 'text' ? frame.text : frame.value });
        row.classList.add('is-pending');
        setMeta(row, t('sending'));
        bubbles.set(frame.id, row);
        appendOwn(row);
      },

      failed(frame) {
        const row = bubbles.get(frame.id);
        if (!row) return;
        bubbles.delete(frame.id);
        markFailed(row, t('failed'));
      },

      typing(from) {
        if (from !== 'agent' && from !== 'bot') return;
        els.typing.textContent = t(from === 'agent' ? 'agentTyping' : 'botTyping');
        els.typing.hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(hideTyping, TYPING_VISIBLE_MS);
      },

      status({ state, reason, detail }) {
        if (state === 'online') setBanner(null);
        else if (state === 'connecting') setBanner(t('connecting'), 1000);
        else if (state === 'reconnecting') {
          setBanner(navigator.onLine === false ? t('offline') : t('reconnecting'));
        } else if (state === 'fatal') {
          setBanner(null);
          let text = t('unavailable');
          if (reason === 'site_unknown' || reason === 'forbidden') text = t('siteUnknown');
          else if (reason === 'refused' && typeof detail === 'string' && detail) text = detail;
          const row = systemNotice(text);
          row.appendChild(button('cf-button', t('reload'), actions.reload));
          insert(row);
        }
      },

      /** new: a fresh conversation on a clean page; expired: the old one stays, closed. */
      reset(reason) {
        agentName = '';
        els.queue.hidden = true;
        hideTyping();
        if (reason === 'new') {
          els.log.replaceChildren();
          bubbles.clear();
        } else {
          retire(true);
          insert(systemNotice(t('expired')));
        }
      },

      notice(text) {
        insert(systemNotice(text));
      },

      notify,

      /** An image upload shown greyed under `id` until its echo or the upload's answer. */
      uploadStarted(id, name, row) {
        const own = row || messageRow('visitor', { text: t('imageUploading', { name }) });
        if (!row) appendOwn(own);
        own.classList.remove('is-failed');
        own.classList.add('is-pending');
        setMeta(own, t('sending'));
        bubbles.set(id, own);
        return own;
      },

      /** The upload was accepted: the echo shows the image (or has shown it already). */
      uploadDone(id, row) {
        if (bubbles.get(id) !== row) return;
        bubbles.delete(id);
        row.remove();
      },

      uploadFailed(id, row, reason, retry) {
        if (bubbles.get(id) !== row) return;
        bubbles.delete(id);
        markFailed(row, `${reason} `, button('cf-retry', t('retry'), retry));
      },
    };
  }

  root.ChatflowView = { createView };
})(typeof self !== 'undefined' ? self : this);
