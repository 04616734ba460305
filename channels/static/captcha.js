/* chatflow visitor chat: the slider puzzle a captcha site asks before a new conversation
 * (docs/widget.md, "Captcha"). chat.js shows it when opening a session answers
 * captcha_required or captcha_failed, and sends the answer with the next try.
 *
 * window.ChatflowCaptcha.create({t, load, before, onShow}) -> {solve(failed), hide()}:
 * load() -> Promise<challenge> (GET /api/v1/sites/{key}/captcha); solve(failed) shows a new
 * puzzle (after a failure message when failed) and resolves with {challenge, x} once the
 * visitor lets go of the slider. Mouse and touch drag the handle (pointer events); the arrow
 * keys move it (Shift: further), Enter checks. Every text goes in through textContent. */
(function (root) {
  'use strict';

  const KEY_STEP = 2;
  const KEY_STEP_FAST = 10;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function create(options) {
    const { t, load } = options;
    const box = el('section', 'cf-captcha');
    box.hidden = true;
    box.setAttribute('aria-labelledby', 'cf-captcha-title');
    const title = el('h2', 'cf-captcha-title', t('captchaTitle'));
    title.id = 'cf-captcha-title';
    const stage = el('div', 'cf-captcha-stage');
    const background = el('img', 'cf-captcha-bg');
    background.alt = '';
    const piece = el('img', 'cf-captcha-piece');
    piece.alt = '';
    stage.append(background, piece);
    const track = el('div', 'cf-captcha-track');
    const hint = el('span', 'cf-captcha-hint', t('captchaSlide'));
    const handle = el('div', 'cf-captcha-handle');
    handle.tabIndex = 0;
    handle.setAttribute('role', 'slider');
    handle.setAttribute('aria-label', t('captchaSlide'));
    handle.setAttribute('aria-valuemin', '0');
    track.append(hint, handle);
    const footer = el('div', 'cf-captcha-footer');
    const message = el('p', 'cf-captcha-message');
    message.setAttribute('role', 'status');
    const refresh = el('button', 'cf-button cf-captcha-refresh', t('captchaRefresh'));
    refresh.type = 'button';
    footer.append(message, refresh);
    box.append(title, stage, track, footer);
    options.before.parentNode.insertBefore(box, options.before);

    let challenge = null; // the puzzle on screen
    let x = 0; // the piece's left edge, in the puzzle's own pixels
    let answer = null; // resolves solve()'s promise
    let drag = null; // {pointerId, startX, startValue}
    let loading = 0;

    const maxX = () => (challenge ? challenge.width - challenge.piece_size : 0);

    function place(value) {
      x = Math.max(0, Math.min(maxX(), value));
      if (!challenge) return;
      const left = `${(x / challenge.width) * 100}%`;
      piece.style.setProperty('left', left);
      handle.style.setProperty('left', left);
      handle.setAttribute('aria-valuenow', String(Math.round(x)));
    }

    function ready() {
      return Boolean(challenge && answer && !box.classList.contains('is-busy'));
    }

    async function fresh(note) {
      const mine = ++loading;
      challenge = null;
      box.classList.add('is-busy');
      message.textContent = note || '';
      let next;
      try {
        next = await load();
      } catch (_) {
        if (mine === loading) message.textContent = t('captchaUnavailable');
        return;
      }
      if (mine !== loading) return;
      challenge = next;
      const size = `${(next.piece_size / next.width) * 100}%`;
      background.src = next.background;
      piece.src = next.piece;
      piece.style.setProperty('width', size);
      piece.style.setProperty('top', `${(next.piece_y / next.height) * 100}%`);
      handle.style.setProperty('width', size);
      handle.setAttribute('aria-valuemax', String(maxX()));
      place(0);
      box.classList.remove('is-busy');
    }

    function check() {
      if (!ready()) return;
      const done = answer;
      answer = null;
      box.classList.add('is-busy');
      message.textContent = t('captchaChecking');
      done({ challenge: challenge.challenge, x: Math.round(x) });
    }

    handle.addEventListener('pointerdown', (event) => {
      if (!ready()) return;
      event.preventDefault();
      drag = { pointerId: event.pointerId, startX: event.clientX, startValue: x };
      handle.setPointerCapture(event.pointerId);
      box.classList.add('is-dragging');
    });
    handle.addEventListener('pointermove', (event) => {
      if (!drag || event.pointerId !== drag.pointerId) return;
      const scale = challenge.width / stage.clientWidth; // the stage may be drawn narrower
      place(drag.startValue + (event.clientX - drag.startX) * scale);
    });
    const release = (event) => {
      if (!drag || event.pointerId !== drag.pointerId) return;
      drag = null;
      box.classList.remove('is-dragging');
      if (event.type === 'pointerup' && x > 0) check();
    };
    handle.addEventListener('pointerup', release);
    handle.addEventListener('pointercancel', release);
    handle.addEventListener('keydown', (event) => {
      if (!ready()) return;
      const step = event.shiftKey ? KEY_STEP_FAST : KEY_STEP;
      const moves = {
        ArrowRight: x + step,
        ArrowUp: x + step,
        ArrowLeft: x - step,
        ArrowDown: x - step,
        Home: 0,
        End: maxX(),
      };
      if (event.key in moves) place(moves[event.key]);
      else if (event.key === 'Enter' || event.key === ' ') check();
      else return;
      event.preventDefault();
    });
    refresh.addEventListener('click', () => fresh());

    return {
      /** Shows a new puzzle; resolves with the visitor's answer. */
      solve(failed) {
        box.hidden = false;
        if (options.onShow) options.onShow();
        const promise = new Promise((resolve) => {
          answer = resolve;
        });
        fresh(failed ? t('captchaFailed') : '');
        return promise;
      },
      hide() {
        box.hidden = true;
        answer = null;
        loading += 1;
      },
      element: box,
    };
  }

  root.ChatflowCaptcha = { create };
})(typeof self !== 'undefined' ? self : this);
